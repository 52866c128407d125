import { and, asc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { companies, eventOutbox } from '../db/schema.ts';

export type OutboxRow = typeof eventOutbox.$inferSelect;

/** Data access for the event outbox. Every query but the worker's scan of companies names the company. */
export function createOutboxStore(db: Db) {
  const nextSeq = db.$client.prepare('SELECT coalesce(max(seq), 0) + 1 FROM event_outbox').pluck();
  const unsettled = (companyId: string) => and(eq(eventOutbox.companyId, companyId), isNull(eventOutbox.settledAt));
  return {
    /** Inside the caller's transaction: seq is the next number, so a company's events keep their order. */
    async insert(row: Omit<typeof eventOutbox.$inferInsert, 'seq'>) {
      db.insert(eventOutbox)
        .values({ ...row, seq: nextSeq.get() as number })
        .run();
    },
    /** Companies with an undelivered event and a push endpoint: the push worker's round. */
    companiesToPush: async (): Promise<string[]> =>
      db
        .selectDistinct({ id: eventOutbox.companyId })
        .from(eventOutbox)
        .innerJoin(companies, eq(companies.id, eventOutbox.companyId))
        .where(and(isNull(eventOutbox.settledAt), isNotNull(companies.eventDeliveryEndpoint)))
        .all()
        .map((r) => r.id),
    endpointOf: async (companyId: string): Promise<string | null> =>
      db.select({ e: companies.eventDeliveryEndpoint }).from(companies).where(eq(companies.id, companyId)).get()?.e ??
      null,
    /** The oldest undelivered events of a company, in order. */
    pending: async (companyId: string, limit: number): Promise<OutboxRow[]> =>
      db.select().from(eventOutbox).where(unsettled(companyId)).orderBy(asc(eventOutbox.seq)).limit(limit).all(),
    countPending: async (companyId: string): Promise<number> =>
      db
        .select({ n: sql<number>`count(*)` })
        .from(eventOutbox)
        .where(unsettled(companyId))
        .get()!.n,
    /** The company's own undelivered events among `jtis` (another company's jti matches nothing). */
    pendingByJti: async (companyId: string, jtis: string[]): Promise<OutboxRow[]> =>
      jtis.length
        ? db
            .select()
            .from(eventOutbox)
            .where(and(unsettled(companyId), inArray(eventOutbox.jti, jtis)))
            .all()
        : [],
    update: async (
      companyId: string,
      seq: number,
      set: Partial<Pick<OutboxRow, 'attempts' | 'nextAttemptAt' | 'settledAt' | 'outcome'>>,
    ) =>
      db
        .update(eventOutbox)
        .set(set)
        .where(and(eq(eventOutbox.companyId, companyId), eq(eventOutbox.seq, seq)))
        .run(),
    /** The sweep's: events of any company still unsettled though made before `iso`, oldest first. */
    unsettledBefore: async (iso: string, limit: number): Promise<OutboxRow[]> =>
      db
        .select()
        .from(eventOutbox)
        .where(and(isNull(eventOutbox.settledAt), lt(eventOutbox.createdAt, iso)))
        .orderBy(asc(eventOutbox.seq))
        .limit(limit)
        .all(),
    /** Settled events are kept a while for the record, then purged (SECURITY.md "Grant events"). */
    purgeSettledBefore: async (iso: string) =>
      db
        .delete(eventOutbox)
        .where(and(isNotNull(eventOutbox.settledAt), lt(eventOutbox.settledAt, iso)))
        .run().changes,
  };
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;
