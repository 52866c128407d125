import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { authCodes, authRequests, refreshTokens, revokedAccessTokens, tokenFamilies } from '../db/schema.ts';

export type AuthRequestRow = typeof authRequests.$inferSelect;
export type AuthCodeRow = typeof authCodes.$inferSelect;
export type FamilyRow = typeof tokenFamilies.$inferSelect;
export type RefreshRow = typeof refreshTokens.$inferSelect;
type Maybe = string | null;
/** The columns of refreshWithFamily's statement, in its order. */
type RefreshWithFamilyColumns = [
  string,
  string,
  string,
  string,
  string,
  Maybe,
  string,
  string,
  Maybe,
  string,
  Maybe,
  Maybe,
];

/** Authorization requests, codes, token families, refresh tokens, revoked jtis (all secrets by hash). */
export function createOAuthStore(db: Db) {
  // Hot path: every company read checks its token family and jti (ARCHITECTURE.md, "Speed").
  // Still one primary-key probe: the customer id (the distribution column) only narrows it.
  const familyFast = fastLookup(db, tokenFamilies, [tokenFamilies.id, tokenFamilies.customerId]);
  const revokedFast = fastLookup(db, revokedAccessTokens, [revokedAccessTokens.jti]);
  // Every refresh grant and refresh-token introspection looks its token up by digest.
  const refreshFast = fastLookup(db, refreshTokens, [refreshTokens.tokenHash]);
  // A refresh grant's rotation: the drizzle builder compiled these two on every call, which cost more than
  // running them (`npm run bench`, README "Benchmarks").
  const insertRefreshStmt = db.$client.prepare(
    'INSERT INTO refresh_tokens (token_hash, family_id, customer_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // The refresh grant's first look: the token and its family in one statement instead of two.
  const refreshWithFamilyStmt = db.$client.prepare(
    `SELECT r.token_hash, r.family_id, r.customer_id, r.created_at, r.expires_at, r.used_at,
            f.grant_id, f.company_id, f.dpop_jkt, f.created_at, f.revoked_at, f.revoked_reason
       FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.token_hash = ?`,
  );
  refreshWithFamilyStmt.raw(true);
  const useRefreshStmt = db.$client.prepare(
    'UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL',
  );
  return {
    insertRequest: async (row: typeof authRequests.$inferInsert) => db.insert(authRequests).values(row).run(),
    request: async (id: string) => db.select().from(authRequests).where(eq(authRequests.id, id)).get(),
    requestForCustomer: async (customerId: string, id: string) =>
      db
        .select()
        .from(authRequests)
        .where(and(eq(authRequests.id, id), eq(authRequests.customerId, customerId)))
        .get(),
    pendingForCustomer: async (customerId: string) =>
      db
        .select()
        .from(authRequests)
        .where(
          and(
            eq(authRequests.customerId, customerId),
            eq(authRequests.status, 'pending'),
            // Device requests (RFC 8628) too, once the customer entered their code and left the consent screen.
            inArray(authRequests.mode, ['backchannel', 'device']),
          ),
        )
        .all(),
    updateRequest: async (id: string, set: Partial<typeof authRequests.$inferInsert>) =>
      db.update(authRequests).set(set).where(eq(authRequests.id, id)).run(),
    /** A disabled company's requests that still await sign-in or consent: closed, so none can be approved. */
    closeOpenRequestsOf: async (companyId: string) =>
      db
        .update(authRequests)
        .set({ status: 'expired' })
        .where(and(eq(authRequests.companyId, companyId), inArray(authRequests.status, ['pushed', 'pending'])))
        .run().changes,
    /** Compare-and-set so two tabs cannot both consume one request. */
    transitionRequest: async (
      id: string,
      from: AuthRequestRow['status'],
      set: Partial<typeof authRequests.$inferInsert>,
    ) =>
      db
        .update(authRequests)
        .set(set)
        .where(and(eq(authRequests.id, id), eq(authRequests.status, from)))
        .run().changes === 1,

    insertCode: async (row: typeof authCodes.$inferInsert) => db.insert(authCodes).values(row).run(),
    code: async (codeHash: string) => db.select().from(authCodes).where(eq(authCodes.codeHash, codeHash)).get(),
    useCode: async (codeHash: string, at: string) =>
      db
        .update(authCodes)
        .set({ usedAt: at })
        .where(and(eq(authCodes.codeHash, codeHash), isNull(authCodes.usedAt)))
        .run().changes === 1,

    insertFamily: async (row: typeof tokenFamilies.$inferInsert) => db.insert(tokenFamilies).values(row).run(),
    family: async (id: string, customerId: string): Promise<FamilyRow | undefined> => familyFast(id, customerId),
    revokeFamily: async (id: string, at: string, reason: string) =>
      db
        .update(tokenFamilies)
        .set({ revokedAt: at, revokedReason: reason })
        .where(and(eq(tokenFamilies.id, id), isNull(tokenFamilies.revokedAt)))
        .run(),

    insertRefresh: async (row: typeof refreshTokens.$inferInsert) =>
      insertRefreshStmt.run(
        row.tokenHash,
        row.familyId,
        row.customerId,
        row.createdAt,
        row.expiresAt,
        row.usedAt ?? null,
      ),
    refresh: async (tokenHash: string): Promise<typeof refreshTokens.$inferSelect | undefined> =>
      refreshFast(tokenHash),
    /** A refresh token with its family; undefined when either is missing. */
    async refreshWithFamily(tokenHash: string): Promise<{ row: RefreshRow; family: FamilyRow } | undefined> {
      const v = refreshWithFamilyStmt.get(tokenHash) as RefreshWithFamilyColumns | undefined;
      if (!v) return undefined;
      const [
        hash,
        familyId,
        customerId,
        createdAt,
        expiresAt,
        usedAt,
        grantId,
        companyId,
        jkt,
        famAt,
        revokedAt,
        reason,
      ] = v;
      return {
        row: { tokenHash: hash, familyId, customerId, createdAt, expiresAt, usedAt },
        family: {
          id: familyId,
          grantId,
          customerId,
          companyId,
          dpopJkt: jkt,
          createdAt: famAt,
          revokedAt,
          revokedReason: reason,
        },
      };
    },
    useRefresh: async (tokenHash: string, at: string) => useRefreshStmt.run(at, tokenHash).changes === 1,

    revokeJti: async (jti: string, expiresAt: string) =>
      db.insert(revokedAccessTokens).values({ jti, expiresAt }).onConflictDoNothing().run(),
    isJtiRevoked: async (jti: string) => (await revokedFast(jti)) !== undefined,

    /** Records a one-time jti; false when it was already seen (replay). */
  };
}

export type OAuthStore = ReturnType<typeof createOAuthStore>;
