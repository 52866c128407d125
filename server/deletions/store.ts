import { and, asc, desc, eq, lte } from 'drizzle-orm';
import { changedRows, type Backend } from '../db/backend.ts';
import type { deletionRequests } from '../db/schema.ts';

export type DeletionRow = typeof deletionRequests.$inferSelect;
export type DeletionStatus = DeletionRow['status'];

/** Deletion requests; every lookup names the company or the customer it belongs to, or is the sweep's. */
export function createDeletionStore(b: Backend) {
  const { deletionRequests } = b.t;
  return {
    insert: async (row: typeof deletionRequests.$inferInsert) =>
      changedRows(await b.q().insert(deletionRequests).values(row).onConflictDoNothing()),
    byGrant: async (grantId: string): Promise<DeletionRow | undefined> =>
      (await b.q().select().from(deletionRequests).where(eq(deletionRequests.grantId, grantId)).limit(1))[0],
    forCompany: async (companyId: string, id: string): Promise<DeletionRow | undefined> =>
      (
        await b
          .q()
          .select()
          .from(deletionRequests)
          .where(and(eq(deletionRequests.id, id), eq(deletionRequests.companyId, companyId)))
          .limit(1)
      )[0],
    listForCompany: async (companyId: string, status?: DeletionStatus): Promise<DeletionRow[]> =>
      await b
        .q()
        .select()
        .from(deletionRequests)
        .where(and(eq(deletionRequests.companyId, companyId), status ? eq(deletionRequests.status, status) : undefined))
        .orderBy(desc(deletionRequests.requestedAt)),
    listForCustomer: async (customerId: string): Promise<DeletionRow[]> =>
      await b
        .q()
        .select()
        .from(deletionRequests)
        .where(eq(deletionRequests.customerId, customerId))
        .orderBy(desc(deletionRequests.requestedAt)),
    /** The auditor's view across tenants, by status, oldest deadline first. */
    listByStatus: async (status: DeletionStatus, limit: number): Promise<DeletionRow[]> =>
      await b
        .q()
        .select()
        .from(deletionRequests)
        .where(eq(deletionRequests.status, status))
        .orderBy(asc(deletionRequests.dueAt))
        .limit(limit),
    dueForOverdue: async (nowIso: string): Promise<DeletionRow[]> =>
      await b
        .q()
        .select()
        .from(deletionRequests)
        .where(and(eq(deletionRequests.status, 'open'), lte(deletionRequests.dueAt, nowIso))),
    update: async (id: string, set: Partial<typeof deletionRequests.$inferInsert>) =>
      void (await b.q().update(deletionRequests).set(set).where(eq(deletionRequests.id, id))),
  };
}

export type DeletionStore = ReturnType<typeof createDeletionStore>;
