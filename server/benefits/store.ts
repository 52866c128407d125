import { and, count, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { benefits } from '../db/schema.ts';

export type BenefitRow = typeof benefits.$inferSelect;
export type BenefitStatus = BenefitRow['status'];

export interface BenefitCounts {
  delivered: number;
  confirmed: number;
  disputed: number;
}

/** The benefit ledger's queries; every one filters by the company or the customer it serves. */
export function createBenefitStore(db: Db) {
  const countsSince = db.$client.prepare(
    `SELECT coalesce(sum(status != 'disputed'), 0) AS delivered, coalesce(sum(status = 'confirmed'), 0) AS confirmed,
            coalesce(sum(status = 'disputed'), 0) AS disputed
       FROM benefits WHERE customer_id = ? AND company_id = ? AND created_at >= ?`,
  );
  return {
    insert: async (row: typeof benefits.$inferInsert) => db.insert(benefits).values(row).run(),
    countForGrant: async (customerId: string, grantId: string) =>
      db
        .select({ n: count() })
        .from(benefits)
        .where(and(eq(benefits.customerId, customerId), eq(benefits.grantId, grantId)))
        .get()!.n,
    byKey: async (companyId: string, keyHash: string) =>
      db
        .select()
        .from(benefits)
        .where(and(eq(benefits.companyId, companyId), eq(benefits.keyHash, keyHash)))
        .get(),
    forCustomer: async (customerId: string, id: string) =>
      db
        .select()
        .from(benefits)
        .where(and(eq(benefits.customerId, customerId), eq(benefits.id, id)))
        .get(),
    listForCustomer: async (customerId: string) =>
      db.select().from(benefits).where(eq(benefits.customerId, customerId)).orderBy(desc(benefits.createdAt)).all(),
    answer: async (customerId: string, id: string, status: BenefitStatus, at: string) =>
      db
        .update(benefits)
        .set({ status, answeredAt: at })
        .where(and(eq(benefits.customerId, customerId), eq(benefits.id, id)))
        .run(),
    /** Entries of one company for one customer created at or after `since` (ISO time; '' for all). */
    counts: async (customerId: string, companyId: string, since: string) =>
      countsSince.get(customerId, companyId, since) as BenefitCounts,
  };
}

export type BenefitStore = ReturnType<typeof createBenefitStore>;
