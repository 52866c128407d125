import { and, eq, inArray, isNull } from 'drizzle-orm';
import { changedRows, type Backend } from '../db/backend.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { rawStatement } from '../db/raw.ts';
import type { authCodes, authRequests, refreshTokens, tokenFamilies } from '../db/schema.ts';

export type AuthRequestRow = typeof authRequests.$inferSelect;
export type AuthCodeRow = typeof authCodes.$inferSelect;
export type FamilyRow = typeof tokenFamilies.$inferSelect;
export type RefreshRow = typeof refreshTokens.$inferSelect;
type Maybe = string | null;
/** The columns of refreshWithFamily's statement, by their aliases. */
interface RefreshWithFamilyColumns {
  token_hash: string;
  family_id: string;
  customer_id: string;
  created_at: string;
  expires_at: string;
  used_at: Maybe;
  grant_id: string;
  company_id: string;
  dpop_jkt: Maybe;
  family_created_at: string;
  revoked_at: Maybe;
  revoked_reason: Maybe;
}

/** Authorization requests, codes, token families, refresh tokens, revoked jtis (all secrets by hash). */
export function createOAuthStore(b: Backend) {
  const { authCodes, authRequests, refreshTokens, revokedAccessTokens, tokenFamilies } = b.t;
  // Hot path: every company read checks its token family and jti (ARCHITECTURE.md, "Speed").
  // Still one primary-key probe: the customer id (the distribution column) only narrows it.
  const familyFast = fastLookup(b, tokenFamilies, [tokenFamilies.id, tokenFamilies.customerId]);
  const revokedFast = fastLookup(b, revokedAccessTokens, [revokedAccessTokens.jti]);
  // Every refresh grant and refresh-token introspection looks its token up by digest.
  const refreshFast = fastLookup(b, refreshTokens, [refreshTokens.tokenHash]);
  // A refresh grant's rotation: the drizzle builder compiled these two on every call, which cost more than
  // running them (`npm run bench`, README "Benchmarks").
  const insertRefreshStmt = rawStatement(
    b,
    'INSERT INTO refresh_tokens (token_hash, family_id, customer_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // The refresh grant's first look: the token and its family in one statement instead of two.
  const refreshWithFamilyStmt = rawStatement<RefreshWithFamilyColumns>(
    b,
    `SELECT r.token_hash, r.family_id, r.customer_id, r.created_at, r.expires_at, r.used_at,
            f.grant_id, f.company_id, f.dpop_jkt, f.created_at AS family_created_at, f.revoked_at, f.revoked_reason
       FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.token_hash = ?`,
  );
  // The company read's check inside its unit: whether the access token's jti is revoked, and its family, in one
  // statement instead of two. The one-row FROM answers even when the family is missing. Under sharding
  // (server/db/tables.ts) the two tables live apart; the EXISTS does not refer to the family, so a Citus-style
  // planner runs it first and the rest on the customer's shard, as two statements would.
  const jtiAndFamilyStmt = rawStatement<{ jti_revoked: unknown } & Partial<Record<keyof FamilyRow, unknown>>>(
    b,
    `SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?) AS jti_revoked,
            f.id, f.grant_id AS "grantId", f.company_id AS "companyId", f.dpop_jkt AS "dpopJkt",
            f.created_at AS "createdAt", f.revoked_at AS "revokedAt", f.revoked_reason AS "revokedReason",
            f.customer_id AS "customerId"
       FROM (SELECT 1 AS one) AS one LEFT JOIN token_families f ON f.id = ? AND f.customer_id = ?`,
  );
  const useRefreshStmt = rawStatement(
    b,
    'UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL',
  );
  return {
    insertRequest: async (row: typeof authRequests.$inferInsert) => {
      await b.q().insert(authRequests).values(row);
    },
    request: async (id: string): Promise<AuthRequestRow | undefined> =>
      (await b.q().select().from(authRequests).where(eq(authRequests.id, id)).limit(1))[0],
    requestForCustomer: async (customerId: string, id: string): Promise<AuthRequestRow | undefined> =>
      (
        await b
          .q()
          .select()
          .from(authRequests)
          .where(and(eq(authRequests.id, id), eq(authRequests.customerId, customerId)))
          .limit(1)
      )[0],
    pendingForCustomer: async (customerId: string): Promise<AuthRequestRow[]> =>
      b
        .q()
        .select()
        .from(authRequests)
        .where(
          and(
            eq(authRequests.customerId, customerId),
            eq(authRequests.status, 'pending'),
            // Device requests (RFC 8628) too, once the customer entered their code and left the consent screen.
            inArray(authRequests.mode, ['backchannel', 'device']),
          ),
        ),
    updateRequest: async (id: string, set: Partial<typeof authRequests.$inferInsert>) => {
      await b.q().update(authRequests).set(set).where(eq(authRequests.id, id));
    },
    /** A disabled company's requests that still await sign-in or consent: closed, so none can be approved. */
    closeOpenRequestsOf: async (companyId: string) =>
      changedRows(
        await b
          .q()
          .update(authRequests)
          .set({ status: 'expired' })
          .where(and(eq(authRequests.companyId, companyId), inArray(authRequests.status, ['pushed', 'pending']))),
      ),
    /** Compare-and-set so two tabs cannot both consume one request. */
    transitionRequest: async (
      id: string,
      from: AuthRequestRow['status'],
      set: Partial<typeof authRequests.$inferInsert>,
    ) =>
      changedRows(
        await b
          .q()
          .update(authRequests)
          .set(set)
          .where(and(eq(authRequests.id, id), eq(authRequests.status, from))),
      ) === 1,

    insertCode: async (row: typeof authCodes.$inferInsert) => {
      await b.q().insert(authCodes).values(row);
    },
    code: async (codeHash: string): Promise<AuthCodeRow | undefined> =>
      (await b.q().select().from(authCodes).where(eq(authCodes.codeHash, codeHash)).limit(1))[0],
    useCode: async (codeHash: string, at: string) =>
      changedRows(
        await b
          .q()
          .update(authCodes)
          .set({ usedAt: at })
          .where(and(eq(authCodes.codeHash, codeHash), isNull(authCodes.usedAt))),
      ) === 1,

    insertFamily: async (row: typeof tokenFamilies.$inferInsert) => {
      await b.q().insert(tokenFamilies).values(row);
    },
    family: async (id: string, customerId: string): Promise<FamilyRow | undefined> => familyFast(id, customerId),
    /** Revokes a family of the customer's once; the number of rows changed (0 when already revoked or not theirs). */
    revokeFamily: async (id: string, customerId: string, at: string, reason: string) =>
      changedRows(
        await b
          .q()
          .update(tokenFamilies)
          .set({ revokedAt: at, revokedReason: reason })
          .where(
            and(eq(tokenFamilies.id, id), eq(tokenFamilies.customerId, customerId), isNull(tokenFamilies.revokedAt)),
          ),
      ),

    insertRefresh: async (row: typeof refreshTokens.$inferInsert) => {
      await insertRefreshStmt.run(
        row.tokenHash,
        row.familyId,
        row.customerId,
        row.createdAt,
        row.expiresAt,
        row.usedAt ?? null,
      );
    },
    refresh: async (tokenHash: string): Promise<typeof refreshTokens.$inferSelect | undefined> =>
      refreshFast(tokenHash),
    /** A refresh token with its family; undefined when either is missing. */
    async refreshWithFamily(tokenHash: string): Promise<{ row: RefreshRow; family: FamilyRow } | undefined> {
      const v = await refreshWithFamilyStmt.get(tokenHash);
      if (!v) return undefined;
      return {
        row: {
          tokenHash: v.token_hash,
          familyId: v.family_id,
          customerId: v.customer_id,
          createdAt: v.created_at,
          expiresAt: v.expires_at,
          usedAt: v.used_at,
        },
        family: {
          id: v.family_id,
          grantId: v.grant_id,
          customerId: v.customer_id,
          companyId: v.company_id,
          dpopJkt: v.dpop_jkt,
          createdAt: v.family_created_at,
          revokedAt: v.revoked_at,
          revokedReason: v.revoked_reason,
        },
      };
    },
    useRefresh: async (tokenHash: string, at: string) => (await useRefreshStmt.run(at, tokenHash)) === 1,

    revokeJti: async (jti: string, expiresAt: string) => {
      await b.q().insert(revokedAccessTokens).values({ jti, expiresAt }).onConflictDoNothing();
    },
    isJtiRevoked: async (jti: string) => (await revokedFast(jti)) !== undefined,
    /** jtiAndFamily's row, fetched ahead with the unit's other reads (server/db/read-ahead.ts). */
    jtiAndFamilyAhead: (jti: string, familyId: string, customerId: string) =>
      jtiAndFamilyStmt.ahead([jti, familyId, customerId]),
    /** isJtiRevoked and family in one statement; family is undefined when the customer has no such family. */
    async jtiAndFamily(
      jti: string,
      familyId: string,
      customerId: string,
    ): Promise<{ jtiRevoked: boolean; family: FamilyRow | undefined }> {
      const { jti_revoked, ...f } = (await jtiAndFamilyStmt.get(jti, familyId, customerId))!;
      // SQLite answers EXISTS as 0/1, PostgreSQL as a boolean.
      return { jtiRevoked: Boolean(jti_revoked), family: f.id == null ? undefined : (f as FamilyRow) };
    },

    /** Records a one-time jti; false when it was already seen (replay). */
  };
}

export type OAuthStore = ReturnType<typeof createOAuthStore>;
