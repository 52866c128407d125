import { and, desc, eq, inArray, lte } from 'drizzle-orm';
import type { Backend } from '../db/backend.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import type { grants as grantsTable } from '../db/schema.ts';

export type GrantRow = typeof grantsTable.$inferSelect;

/** Grant rows; every lookup names the customer or the company it belongs to (ARCHITECTURE.md, "The modules and their arrows"). */
export function createGrantStore(b: Backend) {
  const { grants } = b.t;
  // The company read path looks a grant up on every request: a prepared statement (ARCHITECTURE.md, "Speed").
  const byIdFast = fastLookup(b, grants, [grants.id]);
  return {
    insert: async (row: typeof grantsTable.$inferInsert) => {
      await b.q().insert(grants).values(row);
    },
    /** Only for the data path, which then checks the row's company against the token's. */
    byId: async (id: string): Promise<GrantRow | undefined> => byIdFast(id),
    /** byId's row, fetched ahead with the unit's other reads (server/db/read-ahead.ts). */
    byIdAhead: (id: string) => byIdFast.ahead(id),
    forCustomer: async (customerId: string, id: string) =>
      (
        await b
          .q()
          .select()
          .from(grants)
          .where(and(eq(grants.id, id), eq(grants.customerId, customerId)))
          .limit(1)
      )[0] as GrantRow | undefined,
    forCompany: async (companyId: string, id: string) =>
      (
        await b
          .q()
          .select()
          .from(grants)
          .where(and(eq(grants.id, id), eq(grants.companyId, companyId)))
          .limit(1)
      )[0] as GrantRow | undefined,
    listForCustomer: async (customerId: string) =>
      b.q().select().from(grants).where(eq(grants.customerId, customerId)).orderBy(desc(grants.createdAt)),
    listForCompany: async (companyId: string) =>
      b.q().select().from(grants).where(eq(grants.companyId, companyId)).orderBy(desc(grants.createdAt)),
    liveForCustomer: async (customerId: string) =>
      b
        .q()
        .select()
        .from(grants)
        .where(and(eq(grants.customerId, customerId), eq(grants.status, 'active'))),
    liveForCompany: async (companyId: string) =>
      b
        .q()
        .select()
        .from(grants)
        .where(and(eq(grants.companyId, companyId), eq(grants.status, 'active'))),
    live: async () => b.q().select().from(grants).where(eq(grants.status, 'active')),
    dueToExpire: async (nowIso: string) =>
      b
        .q()
        .select()
        .from(grants)
        .where(and(inArray(grants.status, ['active', 'suspended']), lte(grants.expiresAt, nowIso))),
    update: async (id: string, set: Partial<typeof grantsTable.$inferInsert>) => {
      await b.q().update(grants).set(set).where(eq(grants.id, id));
    },
  };
}

export type GrantStore = ReturnType<typeof createGrantStore>;
