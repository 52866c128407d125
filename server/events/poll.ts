import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { Conflict } from '../http/errors.ts';
import type { EventOutbox } from './outbox.ts';
import { ERROR_CODES } from './push.ts';
import { SET_TYP, setClaims } from './set.ts';

/** At most 100 events per poll, 10 when the company does not say (SECURITY.md "Grant events"). */
export const POLL_MAX_EVENTS = 100;
export const POLL_DEFAULT_EVENTS = 10;

const jti = z.string().min(1).max(100);

/** RFC 8936 §2.4 poll request; unknown members are ignored, as the RFC's extension points expect. */
export const pollSchema = z.object({
  maxEvents: z.number().int().min(0).max(POLL_MAX_EVENTS).optional(),
  returnImmediately: z.boolean().optional(),
  ack: z.array(jti).max(POLL_MAX_EVENTS).optional(),
  setErrs: z
    .record(jti, z.object({ err: z.string().max(64), description: z.string().max(500).optional() }))
    .refine((o) => Object.keys(o).length <= POLL_MAX_EVENTS, `at most ${POLL_MAX_EVENTS} entries`)
    .optional(),
});

export type PollRequest = z.infer<typeof pollSchema>;

/**
 * RFC 8936 polling for companies without a push endpoint. Acknowledged SETs are delivered, SETs reported in
 * `setErrs` are given up, and the oldest pending ones are handed out in order; a SET not acknowledged is handed
 * out again by the next poll. The vault answers at once (it does not hold a poll open, whatever
 * `returnImmediately` says), which RFC 8936 §2.4 leaves to the transmitter.
 */
export function createPolling(ctx: Pick<AppContext, 'config' | 'signing'>, outbox: EventOutbox) {
  return {
    async poll(companyId: string, req: PollRequest) {
      if (await outbox.store.endpointOf(companyId))
        throw new Conflict('Events for this company are pushed to its registered event_delivery_endpoint');
      for (const row of await outbox.store.pendingByJti(companyId, req.ack ?? []))
        await outbox.delivered(row, { mode: 'poll', outcome: 'acknowledged' });
      const errs = req.setErrs ?? {};
      for (const row of await outbox.store.pendingByJti(companyId, Object.keys(errs))) {
        const err = ERROR_CODES.has(errs[row.jti]!.err) ? errs[row.jti]!.err : 'other';
        await outbox.failed(row, { mode: 'poll', outcome: 'rejected', err }, true);
      }
      const rows = await outbox.store.pending(companyId, req.maxEvents ?? POLL_DEFAULT_EVENTS);
      for (const row of rows) await outbox.handedOut(row);
      const tokens = await Promise.all(
        rows.map((row) => ctx.signing.signJwt(setClaims(row, ctx.config.publicUrl), SET_TYP)),
      );
      const sets = Object.fromEntries(rows.map((row, i) => [row.jti, tokens[i]!]));
      return { sets, moreAvailable: (await outbox.store.countPending(companyId)) > rows.length };
    },
  };
}

export type Polling = ReturnType<typeof createPolling>;
