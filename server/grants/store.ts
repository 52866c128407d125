import { and, desc, eq, inArray, lte } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { grants } from '../db/schema.ts';

export type GrantRow = typeof grants.$inferSelect;

/** Grant rows; every lookup names the customer or the company it belongs to (ARCHITECTURE.md, "The modules and their arrows"). */
export function createGrantStore(db: Db) {
  // The company read path looks a grant up on every request: a prepared statement (ARCHITECTURE.md, "Speed").
  const byIdFast = fastLookup(db, grants, [grants.id]);
  return {
    insert: async (row: typeof grants.$inferInsert) => db.insert(grants).values(row).run(),
    /** Only for the data path, which then checks the row's company against the token's. */
    byId: async (id: string): Promise<GrantRow | undefined> => byIdFast(id),
    forCustomer: async (customerId: string, id: string) =>
      db
        .select()
        .from(grants)
        .where(and(eq(grants.id, id), eq(grants.customerId, customerId)))
        .get(),
    forCompany: async (companyId: string, id: string) =>
      db
        .select()
        .from(grants)
        .where(and(eq(grants.id, id), eq(grants.companyId, companyId)))
        .get(),
    listForCustomer: async (customerId: string) =>
      db.select().from(grants).where(eq(grants.customerId, customerId)).orderBy(desc(grants.createdAt)).all(),
    listForCompany: async (companyId: string) =>
      db.select().from(grants).where(eq(grants.companyId, companyId)).orderBy(desc(grants.createdAt)).all(),
    liveForCustomer: async (customerId: string) =>
      db
        .select()
        .from(grants)
        .where(and(eq(grants.customerId, customerId), eq(grants.status, 'active')))
        .all(),
    liveForCompany: async (companyId: string) =>
      db
        .select()
        .from(grants)
        .where(and(eq(grants.companyId, companyId), eq(grants.status, 'active')))
        .all(),
    live: async () => db.select().from(grants).where(eq(grants.status, 'active')).all(),
    dueToExpire: async (nowIso: string) =>
      db
        .select()
        .from(grants)
        .where(and(inArray(grants.status, ['active', 'suspended']), lte(grants.expiresAt, nowIso)))
        .all(),
    update: async (id: string, set: Partial<typeof grants.$inferInsert>) =>
      db.update(grants).set(set).where(eq(grants.id, id)).run(),
  };
}

export type GrantStore = ReturnType<typeof createGrantStore>;
