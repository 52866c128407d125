import { and, count, desc, eq } from 'drizzle-orm';
import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';
import type { benefits } from '../db/schema.ts';

export type BenefitRow = typeof benefits.$inferSelect;
export type BenefitStatus = BenefitRow['status'];

export interface BenefitCounts {
  delivered: number;
  confirmed: number;
  disputed: number;
}

/** The benefit ledger's queries; every one filters by the company or the customer it serves. */
export function createBenefitStore(b: Backend) {
  const { benefits } = b.t;
  // CASE, not a summed comparison: PostgreSQL does not sum booleans; the sums are the same numbers on both.
  const countsSince = rawStatement<BenefitCounts>(
    b,
    `SELECT coalesce(sum(CASE WHEN status != 'disputed' THEN 1 ELSE 0 END), 0) AS delivered,
            coalesce(sum(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END), 0) AS confirmed,
            coalesce(sum(CASE WHEN status = 'disputed' THEN 1 ELSE 0 END), 0) AS disputed
       FROM benefits WHERE customer_id = ? AND company_id = ? AND created_at >= ?`,
  );
  return {
    insert: async (row: typeof benefits.$inferInsert) => void (await b.q().insert(benefits).values(row)),
    countForGrant: async (customerId: string, grantId: string) =>
      (
        await b
          .q()
          .select({ n: count() })
          .from(benefits)
          .where(and(eq(benefits.customerId, customerId), eq(benefits.grantId, grantId)))
      )[0]!.n,
    byKey: async (companyId: string, keyHash: string): Promise<BenefitRow | undefined> =>
      (
        await b
          .q()
          .select()
          .from(benefits)
          .where(and(eq(benefits.companyId, companyId), eq(benefits.keyHash, keyHash)))
          .limit(1)
      )[0],
    forCustomer: async (customerId: string, id: string): Promise<BenefitRow | undefined> =>
      (
        await b
          .q()
          .select()
          .from(benefits)
          .where(and(eq(benefits.customerId, customerId), eq(benefits.id, id)))
          .limit(1)
      )[0],
    listForCustomer: async (customerId: string): Promise<BenefitRow[]> =>
      await b.q().select().from(benefits).where(eq(benefits.customerId, customerId)).orderBy(desc(benefits.createdAt)),
    answer: async (customerId: string, id: string, status: BenefitStatus, at: string) =>
      void (await b
        .q()
        .update(benefits)
        .set({ status, answeredAt: at })
        .where(and(eq(benefits.customerId, customerId), eq(benefits.id, id)))),
    /** Entries of one company for one customer created at or after `since` (ISO time; '' for all). */
    counts: async (customerId: string, companyId: string, since: string) =>
      (await countsSince.get(customerId, companyId, since))!,
  };
}

export type BenefitStore = ReturnType<typeof createBenefitStore>;
