import { and, asc, desc, eq, lte } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { deletionRequests } from '../db/schema.ts';

export type DeletionRow = typeof deletionRequests.$inferSelect;
export type DeletionStatus = DeletionRow['status'];

/** Deletion requests; every lookup names the company or the customer it belongs to, or is the sweep's. */
export function createDeletionStore(db: Db) {
  return {
    insert: async (row: typeof deletionRequests.$inferInsert) =>
      db.insert(deletionRequests).values(row).onConflictDoNothing().run().changes,
    byGrant: async (grantId: string) =>
      db.select().from(deletionRequests).where(eq(deletionRequests.grantId, grantId)).get(),
    forCompany: async (companyId: string, id: string) =>
      db
        .select()
        .from(deletionRequests)
        .where(and(eq(deletionRequests.id, id), eq(deletionRequests.companyId, companyId)))
        .get(),
    listForCompany: async (companyId: string, status?: DeletionStatus) =>
      db
        .select()
        .from(deletionRequests)
        .where(and(eq(deletionRequests.companyId, companyId), status ? eq(deletionRequests.status, status) : undefined))
        .orderBy(desc(deletionRequests.requestedAt))
        .all(),
    listForCustomer: async (customerId: string) =>
      db
        .select()
        .from(deletionRequests)
        .where(eq(deletionRequests.customerId, customerId))
        .orderBy(desc(deletionRequests.requestedAt))
        .all(),
    /** The auditor's view across tenants, by status, oldest deadline first. */
    listByStatus: async (status: DeletionStatus, limit: number) =>
      db
        .select()
        .from(deletionRequests)
        .where(eq(deletionRequests.status, status))
        .orderBy(asc(deletionRequests.dueAt))
        .limit(limit)
        .all(),
    dueForOverdue: async (nowIso: string) =>
      db
        .select()
        .from(deletionRequests)
        .where(and(eq(deletionRequests.status, 'open'), lte(deletionRequests.dueAt, nowIso)))
        .all(),
    update: async (id: string, set: Partial<typeof deletionRequests.$inferInsert>) =>
      db.update(deletionRequests).set(set).where(eq(deletionRequests.id, id)).run(),
  };
}

export type DeletionStore = ReturnType<typeof createDeletionStore>;
