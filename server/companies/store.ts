import { and, asc, eq, gt, isNull, lt, ne } from 'drizzle-orm';
import { changedRows, type Backend } from '../db/backend.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { rawStatement } from '../db/raw.ts';
import type { companies } from '../db/schema.ts';

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

export function createCompanyStore(b: Backend) {
  const { companies, companyNames, companyTerms, initialAccessTokens } = b.t;
  // Looked up on every company read (policy facts): prepared once (ARCHITECTURE.md, "Speed").
  const byIdFast = fastLookup(b, companies, [companies.id]);
  const termsVersionOf = rawStatement<{ v: number }>(b, 'SELECT terms_version AS v FROM companies WHERE id = ?');
  const termsSince = rawStatement<RecentChanges>(
    b,
    'SELECT count(*) AS n, min(created_at) AS first FROM company_terms WHERE company_id = ? AND version > 1 AND created_at > ?',
  );
  const namesSince = rawStatement<RecentChanges>(
    b,
    'SELECT count(*) AS n, min(valid_from) AS first FROM company_names WHERE company_id = ? AND version > 1 AND valid_from > ?',
  );
  const termsPrepared = fastLookup(b, companyTerms, [companyTerms.companyId, companyTerms.version]);
  // The name in effect at a time: the latest version taken at or before it (activity pages ask per event).
  const nameAtPrepared = rawStatement<{ name: string }>(
    b,
    'SELECT name FROM company_names WHERE company_id = ? AND valid_from <= ? ORDER BY version DESC LIMIT 1',
  );
  const lastName = rawStatement<{ v: number }>(
    b,
    'SELECT coalesce(max(version), 0) AS v FROM company_names WHERE company_id = ?',
  );
  return {
    insertCompany: async (row: typeof companies.$inferInsert) => {
      await b.q().insert(companies).values(row);
    },
    // Not async: the prepared lookup already answers a promise (one promise and two microtask turns fewer per token).
    companyById: (companyId: string): Promise<CompanyRow | undefined> => byIdFast(companyId),
    /** Only the current terms version: what each company read's policy facts need. */
    currentTermsVersion: async (companyId: string) => (await termsVersionOf.get(companyId))?.v,
    /** currentTermsVersion's row, fetched ahead with the unit's other reads (server/db/read-ahead.ts). */
    currentTermsVersionAhead: (companyId: string) => termsVersionOf.ahead([companyId]),
    allCompanies: async (): Promise<CompanyRow[]> =>
      b.q().select().from(companies).orderBy(asc(companies.createdAt), asc(companies.id)),
    updateCompany: async (companyId: string, set: Partial<Omit<typeof companies.$inferInsert, 'id' | 'createdAt'>>) => {
      await b.q().update(companies).set(set).where(eq(companies.id, companyId));
    },

    /** Appends the next name version; `version` is computed inside the caller's transaction. */
    insertName: async (companyId: string, name: string, validFrom: string) => {
      const last = (await lastName.get(companyId))?.v ?? 0;
      await b
        .q()
        .insert(companyNames)
        .values({ companyId, version: last + 1, name, validFrom });
      return last + 1;
    },
    nameAt: async (companyId: string, at: string) => (await nameAtPrepared.get(companyId, at))?.name,
    /** Every name every other company has had: a new name must not look like any of them. */
    namesOfOthers: async (companyId: string) =>
      (
        await b
          .q()
          .selectDistinct({ name: companyNames.name })
          .from(companyNames)
          .where(ne(companyNames.companyId, companyId))
      ).map((r) => r.name),

    insertTerms: async (row: typeof companyTerms.$inferInsert) => {
      await b.q().insert(companyTerms).values(row);
    },
    /** How many terms versions and names the company changed to after `sinceIso` (its first ones apart), and the oldest. */
    termsSince: async (companyId: string, sinceIso: string) => (await termsSince.get(companyId, sinceIso))!,
    namesSince: async (companyId: string, sinceIso: string) => (await namesSince.get(companyId, sinceIso))!,
    termsAt: async (companyId: string, version: number): Promise<typeof companyTerms.$inferSelect | undefined> =>
      termsPrepared(companyId, version),

    insertInitialToken: async (row: typeof initialAccessTokens.$inferInsert) => {
      await b.q().insert(initialAccessTokens).values(row);
    },
    initialToken: async (tokenHash: string) =>
      (await b.q().select().from(initialAccessTokens).where(eq(initialAccessTokens.tokenHash, tokenHash)).limit(1))[0],
    /** Marks the token used only if it is still unused and unexpired: the count says who won a race. */
    consumeInitialToken: async (tokenHash: string, nowIso: string) =>
      changedRows(
        await b
          .q()
          .update(initialAccessTokens)
          .set({ usedAt: nowIso })
          .where(
            and(
              eq(initialAccessTokens.tokenHash, tokenHash),
              isNull(initialAccessTokens.usedAt),
              gt(initialAccessTokens.expiresAt, nowIso),
            ),
          ),
      ),

    purgeExpiredInitialTokens: async (nowIso: string) =>
      changedRows(await b.q().delete(initialAccessTokens).where(lt(initialAccessTokens.expiresAt, nowIso))),
  };
}

export type CompanyStore = ReturnType<typeof createCompanyStore>;
