import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { auditCheckpoints, receipts } from '../db/schema.ts';
import { canonical, chainHash, GENESIS_HASH } from './chain.ts';
import type { AuditEvent } from './event.ts';

const SERVER_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export type NewAuditEvent = Omit<AuditEvent, 'seq' | 'time'> & { time?: string };

/**
 * Appends one event to the hash chain. Must run inside the caller's transaction (STYLE 7): the event
 * commits with the action it records, or neither does (fail closed). SQLite serialises writers, so
 * the read of the chain head and the insert cannot interleave with another append.
 */
export function createAuditAppender(db: Db, now: () => Date) {
  const head = db.$client.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const insert = db.$client.prepare(
    `INSERT INTO audit_events (seq, time, action, actor_kind, actor_id, customer_id, company_id, grant_id, decision, body, prev_hash, hash)
     VALUES (@seq, @time, @action, @actorKind, @actorId, @customerId, @companyId, @grantId, @decision, @body, @prevHash, @hash)`,
  );
  return function append(e: NewAuditEvent): AuditEvent {
    if (!db.$client.inTransaction) throw new Error('audit append outside a transaction');
    // Only server-made values reach the trail: a request id is the UUID server/http/request-log.ts made.
    if (e.requestId !== undefined && !SERVER_REQUEST_ID.test(e.requestId))
      throw new Error('audit requestId must be a server-made UUID');
    const last = head.get() as { seq: number; hash: string } | undefined;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const event = { ...e, seq: (last?.seq ?? 0) + 1, time: e.time ?? now().toISOString() } as AuditEvent;
    const body = canonical(event);
    const hash = chainHash(prevHash, body);
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

/** Signed checkpoints, newest first. */
export function createCheckpointStore(db: Db) {
  return {
    latest: () => db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1).get(),
    list: (limit: number) => db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(limit).all(),
    insert: (row: typeof auditCheckpoints.$inferInsert) =>
      db.insert(auditCheckpoints).values(row).onConflictDoNothing().run(),
  };
}

/** Consent receipts; every lookup names the customer or the company (STYLE 6). Ties broken by rowid. */
export function createReceiptStore(db: Db) {
  const newest = [desc(receipts.createdAt), desc(sql`rowid`)] as const;
  return {
    insert: (row: typeof receipts.$inferInsert) => db.insert(receipts).values(row).run(),
    forCustomer: (customerId: string) =>
      db
        .select()
        .from(receipts)
        .where(eq(receipts.customerId, customerId))
        .orderBy(...newest)
        .all(),
    forCompany: (companyId: string, grantId?: string) =>
      db
        .select()
        .from(receipts)
        .where(
          grantId
            ? and(eq(receipts.companyId, companyId), eq(receipts.grantId, grantId))
            : eq(receipts.companyId, companyId),
        )
        .orderBy(...newest)
        .all(),
    oneForCustomer: (customerId: string, id: string) =>
      db
        .select()
        .from(receipts)
        .where(and(eq(receipts.id, id), eq(receipts.customerId, customerId)))
        .get(),
    oneForCompany: (companyId: string, id: string) =>
      db
        .select()
        .from(receipts)
        .where(and(eq(receipts.id, id), eq(receipts.companyId, companyId)))
        .get(),
  };
}
