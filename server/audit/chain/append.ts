import type { Backend } from '../../db/backend.ts';
import { AUDIT_INSERT, type AuditRow } from '../../db/pg/audit-rows.ts';
import type { AuditLaneCursor } from '../../db/pg/unit.ts';
import { rawStatement } from '../../db/raw.ts';
import { takeAheadSeq } from '../../db/read-ahead.ts';
import { GENESIS_HASH, nextLink } from './chain.ts';
import type { AuditEvent, NewAuditEvent } from './event.ts';
import { DEFAULT_CHAIN, isChainId } from './chains.ts';

const SERVER_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Whether the statements of the moment run inside a unit: an open transaction, never the bare pool. */
function inUnit(b: Backend): boolean {
  // PostgreSQL: only an open unit has a read-ahead map; asked without b.q(), which would count as a statement of
  // the unit (server/db/pg/unit.ts, touch). better-sqlite3 knows.
  if (b.dialect === 'postgres') return b.readAhead?.() !== undefined;
  return (b.q() as unknown as { $client: { inTransaction?: boolean } }).$client.inTransaction === true;
}

/**
 * Appends one event to the hash chain. Must run inside the caller's transaction (ARCHITECTURE.md, "The audited unit and group commit"): the event
 * commits with the action it records, or neither does (fail closed).
 *
 * `chain` is the chain this appender links into (audit/chain/chains.ts): the default one on SQLite. seq stays
 * the table's global order; prev_hash is the newest event of this chain. SQLite serialises writers, so seq is
 * max + 1 and the head read and the insert cannot interleave with another append. On PostgreSQL several servers
 * append at once, each to its own chain (README "Storage"), so seq comes from the sequence audit_events_seq
 * (pg migration 0014; a rolled-back unit leaves a gap, which the verifier accepts) and the head is this chain's
 * own, read inside the unit under the chain's transaction-scoped advisory lock, so appends to one chain link one
 * after another while other chains' appends run beside them. A unit of the group commit appends instead to the
 * chain of its batch (one of the server's lanes, `<chain>.<k>`), whose lock and head the batch holds.
 */
export function createAuditAppender(b: Backend, now: () => Date, chain: string = DEFAULT_CHAIN) {
  if (!isChainId(chain)) throw new Error('audit chain id must be lowercase letters, digits, . _ - (at most 63)');
  const head = rawStatement<{ seq: number; hash: string; chain: string }>(
    b,
    'SELECT seq, hash, chain FROM audit_events ORDER BY seq DESC LIMIT 1',
  );
  const chainHead = rawStatement<{ hash: string }>(
    b,
    'SELECT hash FROM audit_events WHERE chain = ? ORDER BY seq DESC LIMIT 1',
  );
  // PostgreSQL: the chain's lock, held until the unit's transaction ends, then seq and head in one round trip.
  const chainLock = rawStatement(b, 'SELECT pg_advisory_xact_lock(hashtextextended(?, 0))');
  const nextAndHead = rawStatement<{ seq: number; hash: string | null }>(
    b,
    "SELECT nextval('audit_events_seq') AS seq, (SELECT hash FROM audit_events WHERE chain = ? ORDER BY seq DESC LIMIT 1) AS hash",
  );
  const insert = rawStatement(b, AUDIT_INSERT);

  async function seqAndPrev(
    lane: AuditLaneCursor | undefined,
    aheadSeq: number | undefined,
  ): Promise<{ seq: number; prevHash: string }> {
    if (b.dialect === 'postgres') {
      // A unit of a group commit's batch appends to the batch's chain, whose lock the batch already holds and
      // whose head it keeps (server/db/pg/group-commit.ts): no lock and no head read here, and the seq the unit's
      // read-ahead took if it still stood when the append began (server/db/read-ahead.ts).
      if (lane) return { seq: aheadSeq ?? (await lane.lane.nextSeq()), prevHash: lane.head };
      // Two units of one server may append to its chain at once (a group commit's batch and a grant change): the
      // second waits here until the first has committed, then reads the head the first wrote. Without the lock
      // both would link to the same head and fork the chain. Other servers' chains have other locks.
      await chainLock.run(chain);
      const next = await nextAndHead.get(chain);
      return { seq: Number(next!.seq), prevHash: next!.hash ?? GENESIS_HASH };
    }
    // Inside a group commit's batch, the head its units' appends left (the batch's transaction is the only writer).
    const last = b.batchHead?.()?.get() ?? (await head.get());
    // With one chain the newest row is this chain's head; otherwise look this chain's head up by its index.
    const prevHash =
      !last || last.chain === chain
        ? (last?.hash ?? GENESIS_HASH)
        : ((await chainHead.get(chain))?.hash ?? GENESIS_HASH);
    return { seq: (last?.seq ?? 0) + 1, prevHash };
  }

  return async function append(e: NewAuditEvent): Promise<AuditEvent> {
    // Taken first: the next statement, inUnit's look at the executor included, ends the unit's read-ahead.
    const aheadSeq = takeAheadSeq(b);
    if (!inUnit(b)) throw new Error('audit append outside a transaction');
    // Only server-made values reach the trail: a request id is the UUID server/http/request-log.ts made.
    if (e.requestId !== undefined && !SERVER_REQUEST_ID.test(e.requestId))
      throw new Error('audit requestId must be a server-made UUID');
    const lane = b.auditLane?.();
    const own = lane ? lane.lane.chain : chain;
    const { seq, prevHash } = await seqAndPrev(lane, aheadSeq);
    const link = { ...e, time: e.time ?? now().toISOString(), chain: own === DEFAULT_CHAIN ? undefined : own };
    const { event, body, hash } = nextLink(prevHash, link, seq);
    const row: AuditRow = [
      event.seq,
      event.time,
      event.action,
      event.actor.kind,
      event.actor.id,
      event.customerId ?? null,
      event.companyId ?? null,
      event.grantId ?? null,
      event.decision ?? null,
      body,
      prevHash,
      hash,
      own,
    ];
    // A unit of a PostgreSQL batch that has sent nothing but its read-ahead hands the row to its batch, which writes
    // it before the COMMIT or before any later statement of the batch (server/db/pg/unit.ts, deferAudit).
    if (!b.deferAudit?.(row)) await insert.run(...row);
    // Only once the row is in: the batch makes this the chain's head when the unit's savepoint is released.
    if (lane) lane.head = hash;
    else b.batchHead?.()?.set({ seq: event.seq, hash, chain: own });
    return event;
  };
}

export type AuditAppend = ReturnType<typeof createAuditAppender>;
