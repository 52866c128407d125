import type { Writable } from 'node:stream';
import type { AppContext } from '../context.ts';
import { CHECKPOINT_TYP, checkpointPayload, chainsCheckpoint } from './checkpoints/checkpoint.ts';
import { DEFAULT_CHAIN } from './chain/chains.ts';
import type { ChainHead } from './chain/chains.ts';
import { exportEvents } from './export/export.ts';
import type { SignedCheckpoint } from './export/format.ts';
import type { AuditEvent } from './chain/event.ts';
import {
  ACTIVITY_KINDS,
  type ActivityFilter,
  type ActivityKind,
  type AuditFilter,
  type AuditQueries,
} from './queries.ts';
import type { AuditAppend } from './chain/append.ts';
import { createCheckpointStore } from './checkpoints/store.ts';
import { GENESIS_HASH } from './chain/chain.ts';

const CHECKPOINT_EVERY_EVENTS = 1000;
const CHECKPOINT_EVERY_MS = 60_000;

/** One page of events, newest first: the query asks for one row more than the page, to know a next page exists. */
function paged(rows: { seq: number; body: string }[], limit: number) {
  const page = rows.slice(0, limit);
  return {
    events: page.map((r) => JSON.parse(r.body) as AuditEvent),
    next: rows.length > limit ? page.at(-1)!.seq : undefined,
  };
}

/** A stored checkpoint with the chain heads its own (stored, server-signed) payload lists, if several. */
function withChains(row: SignedCheckpoint): SignedCheckpoint {
  const payload = JSON.parse(Buffer.from(row.jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    chains?: ChainHead[];
  };
  return payload.chains ? { ...row, chains: payload.chains } : row;
}

/**
 * Checkpoints, auditor exports and the customer's view of reads. A checkpoint is the server's signed
 * statement `{seq, hash, time}` (JWS, `kid` in the JWKS): an export carries one covering its last
 * event, so an auditor can prove offline that what they hold is what the server had.
 */
export function createAuditService(
  ctx: Pick<AppContext, 'backend' | 'clock' | 'signing'>,
  d: { queries: AuditQueries; audit: AuditAppend },
) {
  const checkpoints = createCheckpointStore(ctx.backend);
  const latest = checkpoints.latest;

  /** Signs a checkpoint at the head, or returns the latest one if nothing happened since (`created: false`). */
  async function checkpoint(): Promise<SignedCheckpoint & { created: boolean }> {
    const h = (await d.queries.head()) ?? { seq: 0, hash: GENESIS_HASH };
    const last = await latest();
    // seq is global: any event on any chain moves the newest seq, so an equal seq means nothing happened.
    if (last && last.seq === h.seq) return { ...withChains(last), created: false };
    const time = ctx.clock.now().toISOString();
    const heads = await d.queries.heads();
    // Several chains (audit/chain/chains.ts): one signature over every head; one chain keeps {seq, hash, time}.
    const several = heads.length > 1 || heads.some((x) => x.chain !== DEFAULT_CHAIN);
    const cp = several ? chainsCheckpoint(heads, time) : { seq: h.seq, hash: h.hash, time };
    // Same payload bytes as checkpoint.ts's signer (fixed key order), signed synchronously.
    const jws = ctx.signing.signSync(checkpointPayload(cp), CHECKPOINT_TYP);
    await checkpoints.insert({ seq: cp.seq, hash: cp.hash, time: cp.time, jws });
    return { ...cp, jws, created: true };
  }

  return {
    checkpoint,

    /** Called by the timer: a checkpoint every N events or T seconds when anything happened. */
    async maybeCheckpoint(): Promise<SignedCheckpoint | undefined> {
      const h = await d.queries.head();
      const last = await latest();
      if (!h || (last && last.seq === h.seq)) return undefined;
      const due =
        !last ||
        h.seq - last.seq >= CHECKPOINT_EVERY_EVENTS ||
        ctx.clock.now().getTime() - Date.parse(last.time) >= CHECKPOINT_EVERY_MS;
      return due ? checkpoint() : undefined;
    },

    checkpoints(limit = 100): Promise<SignedCheckpoint[]> {
      return checkpoints.list(limit);
    },

    /** One page, newest first; `next` only when an older event exists (one extra row is read to know). */
    async events(f: AuditFilter, before = Number.MAX_SAFE_INTEGER, limit = 100) {
      const { events, next } = paged(await d.queries.page(f, before, limit + 1), limit);
      return { events, next };
    },

    /**
     * The customer's activity: real reads and deposits, newest first and paged, then refused attempts
     * grouped per company and reason, so that no flood of refusals pushes a real read off the first page.
     */
    async activityOf(
      customerId: string,
      f: ActivityFilter & { kinds?: ActivityKind[] } = {},
      before = Number.MAX_SAFE_INTEGER,
      limit = 50,
    ) {
      const kinds = f.kinds?.length ? f.kinds : (Object.keys(ACTIVITY_KINDS) as ActivityKind[]);
      const found: { seq: number; body: string }[] = [];
      for (const k of kinds) found.push(...(await d.queries.activityOf(customerId, k, f, before, limit + 1)));
      const rows = found.sort((a, b) => b.seq - a.seq).slice(0, limit + 1);
      const { events, next } = paged(rows, limit);
      // Grouped refused uses belong to "refusal"; a filter on other kinds leaves them out.
      const groups = kinds.includes('refusal') ? await d.queries.refusalGroupsOf(customerId, f) : [];
      return {
        reads: events,
        refusals: groups.map((g) => {
          const last = JSON.parse(g.lastBody) as AuditEvent;
          return {
            companyId: g.companyId ?? '',
            reason: { code: g.code ?? 'UNKNOWN', message: last.reasons?.[0]?.message ?? '' },
            count: g.count,
            first: g.first,
            last: g.last,
          };
        }),
        next,
      };
    },

    companiesThatAsked: (customerId: string) => d.queries.companiesThatAsked(customerId),

    /** Every read, deposit and refusal of the customer's data, newest first (the customer's export). */
    async readsOf(customerId: string, before = Number.MAX_SAFE_INTEGER, limit = 50) {
      const { events, next } = paged(await d.queries.readsOf(customerId, before, limit + 1), limit);
      return { reads: events, next };
    },

    /**
     * Streams an export: the export itself is recorded first, then a checkpoint is signed at the head,
     * and every matching event up to it is written in constant memory.
     */
    async exportTo(
      out: Writable,
      f: AuditFilter,
      format: 'jsonl' | 'csv',
      actor: { kind: 'auditor' | 'operator'; id: string },
      requestId?: string,
      onProgress?: (n: number) => void,
    ) {
      await ctx.backend.inTransaction(() =>
        d.audit({
          action: 'auditor.export',
          actor,
          requestId,
          detail: { format, ...Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) },
        }),
      );
      const { created: _created, ...cp } = await checkpoint();
      const { rows, close } = d.queries.exportRows(f, cp.seq, 'chains' in cp ? cp.chains : undefined);
      try {
        const filter = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >;
        return await exportEvents(rows, out, { format, checkpoint: cp, filter, onProgress });
      } finally {
        close();
      }
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
