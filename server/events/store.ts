import { and, asc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { changedRows, type Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';
import type { eventOutbox } from '../db/schema.ts';

export type OutboxRow = typeof eventOutbox.$inferSelect;

/** Data access for the event outbox. Every query but the worker's scan of companies names the company. */
export function createOutboxStore(b: Backend) {
  const { companies, eventOutbox } = b.t;
  const nextSeq = rawStatement<{ n: number }>(b, 'SELECT coalesce(max(seq), 0) + 1 AS n FROM event_outbox');
  const unsettled = (companyId: string) => and(eq(eventOutbox.companyId, companyId), isNull(eventOutbox.settledAt));
  return {
    /** Inside the caller's transaction: seq is the next number, so a company's events keep their order. */
    async insert(row: Omit<typeof eventOutbox.$inferInsert, 'seq'>) {
      const seq = (await nextSeq.get())!.n;
      await b
        .q()
        .insert(eventOutbox)
        .values({ ...row, seq });
    },
    /** Companies with an undelivered event and a push endpoint: the push worker's round. */
    companiesToPush: async (): Promise<string[]> =>
      (
        await b
          .q()
          .selectDistinct({ id: eventOutbox.companyId })
          .from(eventOutbox)
          .innerJoin(companies, eq(companies.id, eventOutbox.companyId))
          .where(and(isNull(eventOutbox.settledAt), isNotNull(companies.eventDeliveryEndpoint)))
      ).map((r) => r.id),
    endpointOf: async (companyId: string): Promise<string | null> =>
      (
        await b
          .q()
          .select({ e: companies.eventDeliveryEndpoint })
          .from(companies)
          .where(eq(companies.id, companyId))
          .limit(1)
      )[0]?.e ?? null,
    /** The oldest undelivered events of a company, in order. */
    pending: async (companyId: string, limit: number): Promise<OutboxRow[]> =>
      await b.q().select().from(eventOutbox).where(unsettled(companyId)).orderBy(asc(eventOutbox.seq)).limit(limit),
    countPending: async (companyId: string): Promise<number> =>
      Number(
        (
          await b
            .q()
            .select({ n: sql<number>`count(*)` })
            .from(eventOutbox)
            .where(unsettled(companyId))
        )[0]!.n,
      ),
    /** The company's own undelivered events among `jtis` (another company's jti matches nothing). */
    pendingByJti: async (companyId: string, jtis: string[]): Promise<OutboxRow[]> =>
      jtis.length
        ? await b
            .q()
            .select()
            .from(eventOutbox)
            .where(and(unsettled(companyId), inArray(eventOutbox.jti, jtis)))
        : [],
    update: async (
      companyId: string,
      seq: number,
      set: Partial<Pick<OutboxRow, 'attempts' | 'nextAttemptAt' | 'settledAt' | 'outcome'>>,
    ) =>
      void (await b
        .q()
        .update(eventOutbox)
        .set(set)
        .where(and(eq(eventOutbox.companyId, companyId), eq(eventOutbox.seq, seq)))),
    /** The sweep's: events of any company still unsettled though made before `iso`, oldest first. */
    unsettledBefore: async (iso: string, limit: number): Promise<OutboxRow[]> =>
      await b
        .q()
        .select()
        .from(eventOutbox)
        .where(and(isNull(eventOutbox.settledAt), lt(eventOutbox.createdAt, iso)))
        .orderBy(asc(eventOutbox.seq))
        .limit(limit),
    /** Settled events are kept a while for the record, then purged (SECURITY.md "Grant events"). */
    purgeSettledBefore: async (iso: string) =>
      changedRows(
        await b
          .q()
          .delete(eventOutbox)
          .where(and(isNotNull(eventOutbox.settledAt), lt(eventOutbox.settledAt, iso))),
      ),
  };
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;
