import { and, asc, eq, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { companies, companyNames, companyTerms, initialAccessTokens } from '../db/schema.ts';

export type CompanyRow = typeof companies.$inferSelect;

/**
 * Data access for registered companies, their versioned terms, initial access tokens and seen
 * client-assertion ids. Every company query names the company id (ARCHITECTURE.md, "The modules and their arrows"); the two token tables are
 * keyed by a digest and belong to no tenant.
 */
/** A company's recent changes of one kind: how many, and the time of the oldest (null when none). */
export interface RecentChanges {
  n: number;
  first: string | null;
}

export function createCompanyStore(db: Db) {
  // Looked up on every company read (policy facts): prepared once (ARCHITECTURE.md, "Speed").
  const byIdFast = fastLookup(db, companies, [companies.id]);
  const termsVersionOf = db.$client.prepare('SELECT terms_version AS v FROM companies WHERE id = ?').pluck();
  const termsSince = db.$client.prepare(
    'SELECT count(*) AS n, min(created_at) AS first FROM company_terms WHERE company_id = ? AND version > 1 AND created_at > ?',
  );
  const namesSince = db.$client.prepare(
    'SELECT count(*) AS n, min(valid_from) AS first FROM company_names WHERE company_id = ? AND version > 1 AND valid_from > ?',
  );
  const termsPrepared = db
    .select()
    .from(companyTerms)
    .where(and(eq(companyTerms.companyId, sql.placeholder('id')), eq(companyTerms.version, sql.placeholder('v'))))
    .prepare();
  // The name in effect at a time: the latest version taken at or before it (activity pages ask per event).
  const nameAtPrepared = db.$client
    .prepare('SELECT name FROM company_names WHERE company_id = ? AND valid_from <= ? ORDER BY version DESC LIMIT 1')
    .pluck();
  return {
    insertCompany: async (row: typeof companies.$inferInsert) => db.insert(companies).values(row).run(),
    companyById: async (companyId: string): Promise<CompanyRow | undefined> => byIdFast(companyId),
    /** Only the current terms version: what each company read's policy facts need. */
    currentTermsVersion: async (companyId: string) => termsVersionOf.get(companyId) as number | undefined,
    allCompanies: async () => db.select().from(companies).orderBy(asc(companies.createdAt), asc(companies.id)).all(),
    updateCompany: async (companyId: string, set: Partial<Omit<typeof companies.$inferInsert, 'id' | 'createdAt'>>) =>
      db.update(companies).set(set).where(eq(companies.id, companyId)).run(),

    /** Appends the next name version; `version` is computed inside the caller's transaction. */
    insertName: async (companyId: string, name: string, validFrom: string) => {
      const last = db.$client
        .prepare('SELECT coalesce(max(version), 0) FROM company_names WHERE company_id = ?')
        .pluck()
        .get(companyId) as number;
      db.insert(companyNames)
        .values({ companyId, version: last + 1, name, validFrom })
        .run();
      return last + 1;
    },
    nameAt: async (companyId: string, at: string) => nameAtPrepared.get(companyId, at) as string | undefined,
    /** Every name every other company has had: a new name must not look like any of them. */
    namesOfOthers: async (companyId: string) =>
      db
        .selectDistinct({ name: companyNames.name })
        .from(companyNames)
        .where(ne(companyNames.companyId, companyId))
        .all()
        .map((r) => r.name),

    insertTerms: async (row: typeof companyTerms.$inferInsert) => db.insert(companyTerms).values(row).run(),
    /** How many terms versions and names the company changed to after `sinceIso` (its first ones apart), and the oldest. */
    termsSince: async (companyId: string, sinceIso: string) => termsSince.get(companyId, sinceIso) as RecentChanges,
    namesSince: async (companyId: string, sinceIso: string) => namesSince.get(companyId, sinceIso) as RecentChanges,
    termsAt: async (companyId: string, version: number): Promise<typeof companyTerms.$inferSelect | undefined> =>
      termsPrepared.get({ id: companyId, v: version }),

    insertInitialToken: async (row: typeof initialAccessTokens.$inferInsert) =>
      db.insert(initialAccessTokens).values(row).run(),
    initialToken: async (tokenHash: string) =>
      db.select().from(initialAccessTokens).where(eq(initialAccessTokens.tokenHash, tokenHash)).get(),
    /** Marks the token used only if it is still unused and unexpired: the count says who won a race. */
    consumeInitialToken: async (tokenHash: string, nowIso: string) =>
      db
        .update(initialAccessTokens)
        .set({ usedAt: nowIso })
        .where(
          and(
            eq(initialAccessTokens.tokenHash, tokenHash),
            isNull(initialAccessTokens.usedAt),
            gt(initialAccessTokens.expiresAt, nowIso),
          ),
        )
        .run().changes,

    purgeExpiredInitialTokens: async (nowIso: string) =>
      db.delete(initialAccessTokens).where(lt(initialAccessTokens.expiresAt, nowIso)).run().changes,
  };
}

export type CompanyStore = ReturnType<typeof createCompanyStore>;
