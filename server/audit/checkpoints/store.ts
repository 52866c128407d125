import { and, desc, eq, sql } from 'drizzle-orm';
import type { Backend } from '../../db/backend.ts';

/** Signed checkpoints, newest first. */
export function createCheckpointStore(b: Backend) {
  const { auditCheckpoints } = b.t;
  return {
    latest: async () =>
      (await b.q().select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1))[0] as
        typeof auditCheckpoints.$inferSelect | undefined,
    list: async (limit: number) =>
      b.q().select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(limit),
    insert: async (row: typeof auditCheckpoints.$inferInsert) => {
      await b.q().insert(auditCheckpoints).values(row).onConflictDoNothing();
    },
  };
}

/**
 * Consent receipts; every lookup names the customer or the company (ARCHITECTURE.md, "The modules and their arrows").
 * Receipts written in the same millisecond keep their order by physical row: SQLite's rowid, PostgreSQL's ctid (the
 * table is insert-only, so a row never moves).
 */
export function createReceiptStore(b: Backend) {
  const { receipts } = b.t;
  const newest = [desc(receipts.createdAt), desc(b.dialect === 'sqlite' ? sql`rowid` : sql`ctid`)] as const;
  return {
    insert: async (row: typeof receipts.$inferInsert) => void (await b.q().insert(receipts).values(row)),
    forCustomer: async (customerId: string) =>
      b
        .q()
        .select()
        .from(receipts)
        .where(eq(receipts.customerId, customerId))
        .orderBy(...newest),
    forCompany: async (companyId: string, grantId?: string) =>
      b
        .q()
        .select()
        .from(receipts)
        .where(
          grantId
            ? and(eq(receipts.companyId, companyId), eq(receipts.grantId, grantId))
            : eq(receipts.companyId, companyId),
        )
        .orderBy(...newest),
    oneForCustomer: async (customerId: string, id: string) =>
      (
        await b
          .q()
          .select()
          .from(receipts)
          .where(and(eq(receipts.id, id), eq(receipts.customerId, customerId)))
          .limit(1)
      )[0],
    oneForCompany: async (companyId: string, id: string) =>
      (
        await b
          .q()
          .select()
          .from(receipts)
          .where(and(eq(receipts.id, id), eq(receipts.companyId, companyId)))
          .limit(1)
      )[0],
  };
}
