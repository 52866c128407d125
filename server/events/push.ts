import type { IncomingMessage } from 'node:http';
import type { AppContext } from '../context.ts';
import type { EventOutbox, OutcomeDetail } from './outbox.ts';
import { BlockedAddress, postSet, readUpTo } from './post-set.ts';
import { SET_MEDIA_TYPE, SET_TYP, setClaims } from './set.ts';
import type { OutboxRow } from './store.ts';

/** Each push waits at most 5 s; a company gets at most 20 pushes per round (SECURITY.md "Grant events"). */
export const PUSH_TIMEOUT_MS = 5_000;
export const PUSH_PER_COMPANY_PER_ROUND = 20;
/** The worker looks for due retries every second, and at once after a change. */
export const PUSH_INTERVAL_MS = 1_000;
/** A receiver's error body is read up to 4 KiB, only to find its `err` code. */
const MAX_ERROR_BODY = 4_096;

/** RFC 8935 §2.4 (the "Security Event Token Error Codes" registry): any other code is recorded as "other". */
export const ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_key',
  'invalid_issuer',
  'invalid_audience',
  'authentication_failed',
  'access_denied',
]);

async function errorCode(res: IncomingMessage): Promise<string> {
  try {
    const text = await readUpTo(res, MAX_ERROR_BODY);
    const err = (JSON.parse(text) as { err?: unknown }).err;
    return typeof err === 'string' && ERROR_CODES.has(err) ? err : 'other';
  } catch {
    return 'other';
  }
}

/**
 * RFC 8935 push delivery, off the request path (ARCHITECTURE.md, "Grant events"): one round at a time; per
 * company only the oldest undelivered event is sent, so a company's events arrive strictly in order, and a
 * failure stops that company's round until its back-off is over. No redirect is followed.
 */
export function createPushWorker(
  ctx: Pick<AppContext, 'config' | 'signing' | 'clock' | 'logger'>,
  outbox: EventOutbox,
) {
  let round: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const stopping = new AbortController();

  /** One attempt: 'delivered', 'retry' or 'given-up'. The database is not touched once the vault stops. */
  async function push(row: OutboxRow, endpoint: string): Promise<'delivered' | 'retry' | 'given-up'> {
    const set = await ctx.signing.signJwt(setClaims(row, ctx.config.publicUrl), SET_TYP);
    let d: OutcomeDetail;
    const timeout = AbortSignal.timeout(PUSH_TIMEOUT_MS);
    try {
      const res = await postSet(endpoint, { 'content-type': SET_MEDIA_TYPE, accept: 'application/json' }, set, {
        allowPrivate: ctx.config.eventsAllowPrivateAddresses,
        signal: AbortSignal.any([timeout, stopping.signal]),
      });
      if (stopped) return 'retry';
      const status = res.statusCode ?? 0;
      // RFC 8935 §2.2: 202 Accepted means the SET was received and validated.
      if (status === 202) {
        res.destroy();
        await outbox.delivered(row, { mode: 'push', outcome: 'accepted', status: 202 });
        return 'delivered';
      }
      // RFC 8935 §2.3: a 400 with an error code rejects this SET; sending the same token again cannot help.
      if (status === 400) {
        d = { mode: 'push', outcome: 'rejected', status: 400, err: await errorCode(res) };
        if (stopped) return 'retry';
        return (await outbox.failed(row, d, true)) ? 'given-up' : 'retry';
      }
      res.destroy();
      d = { mode: 'push', outcome: status >= 300 && status < 400 ? 'redirect' : 'status', status };
    } catch (e) {
      if (stopped) return 'retry';
      const outcome = e instanceof BlockedAddress ? 'blocked' : timeout.aborted ? 'timeout' : 'network';
      d = { mode: 'push', outcome };
    }
    return (await outbox.failed(row, d, false)) ? 'given-up' : 'retry';
  }

  async function runRound(): Promise<void> {
    for (const companyId of await outbox.store.companiesToPush()) {
      for (let sent = 0; sent < PUSH_PER_COMPANY_PER_ROUND && !stopped; sent++) {
        const endpoint = await outbox.store.endpointOf(companyId);
        const [head] = await outbox.store.pending(companyId, 1);
        if (!endpoint || !head || head.nextAttemptAt > ctx.clock.now().toISOString()) break;
        if ((await push(head, endpoint)) === 'retry') break;
      }
      if (stopped) return;
    }
  }

  /** Starts a round, or asks the running one to go again: never two at once. */
  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (round) {
      again = true;
      return round;
    }
    round = (async () => {
      do {
        again = false;
        await runRound().catch((err: unknown) => ctx.logger.error({ err }, 'event delivery round failed'));
      } while (again && !stopped);
    })().finally(() => (round = undefined));
    return round;
  }

  return {
    kick,
    /** Tests: waits for a running round, then runs one more to its end. */
    async runOnce(): Promise<void> {
      if (round) await round;
      await kick();
    },
    start() {
      timer ??= setInterval(() => void kick(), PUSH_INTERVAL_MS);
      timer.unref();
    },
    /** Stops the timer and aborts a push in flight; an aborted push stays pending and is sent after a restart. */
    stop() {
      stopped = true;
      clearInterval(timer);
      stopping.abort();
    },
  };
}
