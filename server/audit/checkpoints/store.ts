import { and, desc, eq, sql } from 'drizzle-orm';
import type { Backend } from '../../db/backend.ts';
import type { Db } from '../../db/connection.ts';
import { receipts } from '../../db/schema.ts';

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

/** Consent receipts; every lookup names the customer or the company (ARCHITECTURE.md, "The modules and their arrows"). Ties broken by rowid. */
export function createReceiptStore(db: Db) {
  const newest = [desc(receipts.createdAt), desc(sql`rowid`)] as const;
  return {
    insert: async (row: typeof receipts.$inferInsert) => db.insert(receipts).values(row).run(),
    forCustomer: async (customerId: string) =>
      db
        .select()
        .from(receipts)
        .where(eq(receipts.customerId, customerId))
        .orderBy(...newest)
        .all(),
    forCompany: async (companyId: string, grantId?: string) =>
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
    oneForCustomer: async (customerId: string, id: string) =>
      db
        .select()
        .from(receipts)
        .where(and(eq(receipts.id, id), eq(receipts.customerId, customerId)))
        .get(),
    oneForCompany: async (companyId: string, id: string) =>
      db
        .select()
        .from(receipts)
        .where(and(eq(receipts.id, id), eq(receipts.companyId, companyId)))
        .get(),
  };
}
