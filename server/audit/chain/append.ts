import type { Db } from '../../db/connection.ts';
import { GENESIS_HASH, nextLink } from './chain.ts';
import type { AuditEvent, NewAuditEvent } from './event.ts';
import { DEFAULT_CHAIN, isChainId } from './chains.ts';

const SERVER_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Appends one event to the hash chain. Must run inside the caller's transaction (ARCHITECTURE.md, "The audited unit and group commit"): the event
 * commits with the action it records, or neither does (fail closed). SQLite serialises writers, so
 * the read of the chain head and the insert cannot interleave with another append.
 *
 * `chain` is the chain this appender links into (audit/chain/chains.ts): the default one on SQLite. seq stays
 * the table's global order (max + 1); prev_hash is the newest event of this chain.
 */
export function createAuditAppender(db: Db, now: () => Date, chain: string = DEFAULT_CHAIN) {
  if (!isChainId(chain)) throw new Error('audit chain id must be lowercase letters, digits, . _ - (at most 63)');
  const head = db.$client.prepare('SELECT seq, hash, chain FROM audit_events ORDER BY seq DESC LIMIT 1');
  const chainHead = db.$client
    .prepare('SELECT hash FROM audit_events WHERE chain = ? ORDER BY seq DESC LIMIT 1')
    .pluck();
  const insert = db.$client.prepare(
    `INSERT INTO audit_events (seq, time, action, actor_kind, actor_id, customer_id, company_id, grant_id, decision, body, prev_hash, hash, chain)
     VALUES (@seq, @time, @action, @actorKind, @actorId, @customerId, @companyId, @grantId, @decision, @body, @prevHash, @hash, @chain)`,
  );
  const named = chain === DEFAULT_CHAIN ? undefined : chain;
  return async function append(e: NewAuditEvent): Promise<AuditEvent> {
    if (!db.$client.inTransaction) throw new Error('audit append outside a transaction');
    // Only server-made values reach the trail: a request id is the UUID server/http/request-log.ts made.
    if (e.requestId !== undefined && !SERVER_REQUEST_ID.test(e.requestId))
      throw new Error('audit requestId must be a server-made UUID');
    const last = head.get() as { seq: number; hash: string; chain: string } | undefined;
    // With one chain the newest row is this chain's head; otherwise look this chain's head up by its index.
    const prevHash =
      !last || last.chain === chain
        ? (last?.hash ?? GENESIS_HASH)
        : ((chainHead.get(chain) as string | undefined) ?? GENESIS_HASH);
    const { event, body, hash } = nextLink(
      prevHash,
      { ...e, time: e.time ?? now().toISOString(), chain: named },
      (last?.seq ?? 0) + 1,
    );
    insert.run({
      seq: event.seq,
      time: event.time,
      action: event.action,
      actorKind: event.actor.kind,
      actorId: event.actor.id,
      customerId: event.customerId ?? null,
      companyId: event.companyId ?? null,
      grantId: event.grantId ?? null,
      decision: event.decision ?? null,
      body,
      prevHash,
      hash,
      chain,
    });
    return event;
  };
}

export type AuditAppend = ReturnType<typeof createAuditAppender>;
