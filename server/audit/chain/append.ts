import type { Db } from '../../db/connection.ts';
import { GENESIS_HASH, nextLink } from './chain.ts';
import type { AuditEvent, NewAuditEvent } from './event.ts';

const SERVER_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Appends one event to the hash chain. Must run inside the caller's transaction (ARCHITECTURE.md, "The audited unit and group commit"): the event
 * commits with the action it records, or neither does (fail closed). SQLite serialises writers, so
 * the read of the chain head and the insert cannot interleave with another append.
 */
export function createAuditAppender(db: Db, now: () => Date) {
  const head = db.$client.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const insert = db.$client.prepare(
    `INSERT INTO audit_events (seq, time, action, actor_kind, actor_id, customer_id, company_id, grant_id, decision, body, prev_hash, hash)
     VALUES (@seq, @time, @action, @actorKind, @actorId, @customerId, @companyId, @grantId, @decision, @body, @prevHash, @hash)`,
  );
  return async function append(e: NewAuditEvent): Promise<AuditEvent> {
    if (!db.$client.inTransaction) throw new Error('audit append outside a transaction');
    // Only server-made values reach the trail: a request id is the UUID server/http/request-log.ts made.
    if (e.requestId !== undefined && !SERVER_REQUEST_ID.test(e.requestId))
      throw new Error('audit requestId must be a server-made UUID');
    const last = head.get() as { seq: number; hash: string } | undefined;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const { event, body, hash } = nextLink(
      prevHash,
      { ...e, time: e.time ?? now().toISOString() },
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
    });
    return event;
  };
}

export type AuditAppend = ReturnType<typeof createAuditAppender>;
