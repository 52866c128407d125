import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/connection.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { authCodes, authRequests, refreshTokens, revokedAccessTokens, tokenFamilies } from '../db/schema.ts';

export type AuthRequestRow = typeof authRequests.$inferSelect;
export type AuthCodeRow = typeof authCodes.$inferSelect;
export type FamilyRow = typeof tokenFamilies.$inferSelect;

/** Authorization requests, codes, token families, refresh tokens, revoked jtis (all secrets by hash). */
export function createOAuthStore(db: Db) {
  // Hot path: every company read checks its token family and jti (ARCHITECTURE.md, "Speed").
  // Still one primary-key probe: the customer id (the distribution column) only narrows it.
  const familyFast = fastLookup(db, tokenFamilies, [tokenFamilies.id, tokenFamilies.customerId]);
  const revokedFast = fastLookup(db, revokedAccessTokens, [revokedAccessTokens.jti]);
  // Every refresh grant and refresh-token introspection looks its token up by digest.
  const refreshFast = fastLookup(db, refreshTokens, [refreshTokens.tokenHash]);
  return {
    insertRequest: (row: typeof authRequests.$inferInsert) => db.insert(authRequests).values(row).run(),
    request: (id: string) => db.select().from(authRequests).where(eq(authRequests.id, id)).get(),
    requestForCustomer: (customerId: string, id: string) =>
      db
        .select()
        .from(authRequests)
        .where(and(eq(authRequests.id, id), eq(authRequests.customerId, customerId)))
        .get(),
    pendingForCustomer: (customerId: string) =>
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
    updateRequest: (id: string, set: Partial<typeof authRequests.$inferInsert>) =>
      db.update(authRequests).set(set).where(eq(authRequests.id, id)).run(),
    /** A disabled company's requests that still await sign-in or consent: closed, so none can be approved. */
    closeOpenRequestsOf: (companyId: string) =>
      db
        .update(authRequests)
        .set({ status: 'expired' })
        .where(and(eq(authRequests.companyId, companyId), inArray(authRequests.status, ['pushed', 'pending'])))
        .run().changes,
    /** Compare-and-set so two tabs cannot both consume one request. */
    transitionRequest: (id: string, from: AuthRequestRow['status'], set: Partial<typeof authRequests.$inferInsert>) =>
      db
        .update(authRequests)
        .set(set)
        .where(and(eq(authRequests.id, id), eq(authRequests.status, from)))
        .run().changes === 1,

    insertCode: (row: typeof authCodes.$inferInsert) => db.insert(authCodes).values(row).run(),
    code: (codeHash: string) => db.select().from(authCodes).where(eq(authCodes.codeHash, codeHash)).get(),
    useCode: (codeHash: string, at: string) =>
      db
        .update(authCodes)
        .set({ usedAt: at })
        .where(and(eq(authCodes.codeHash, codeHash), isNull(authCodes.usedAt)))
        .run().changes === 1,

    insertFamily: (row: typeof tokenFamilies.$inferInsert) => db.insert(tokenFamilies).values(row).run(),
    family: (id: string, customerId: string): FamilyRow | undefined => familyFast(id, customerId),
    revokeFamily: (id: string, at: string, reason: string) =>
      db
        .update(tokenFamilies)
        .set({ revokedAt: at, revokedReason: reason })
        .where(and(eq(tokenFamilies.id, id), isNull(tokenFamilies.revokedAt)))
        .run(),

    insertRefresh: (row: typeof refreshTokens.$inferInsert) => db.insert(refreshTokens).values(row).run(),
    refresh: (tokenHash: string): typeof refreshTokens.$inferSelect | undefined => refreshFast(tokenHash),
    useRefresh: (tokenHash: string, at: string) =>
      db
        .update(refreshTokens)
        .set({ usedAt: at })
        .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt)))
        .run().changes === 1,

    revokeJti: (jti: string, expiresAt: string) =>
      db.insert(revokedAccessTokens).values({ jti, expiresAt }).onConflictDoNothing().run(),
    isJtiRevoked: (jti: string) => revokedFast(jti) !== undefined,

    /** Records a one-time jti; false when it was already seen (replay). */
  };
}

export type OAuthStore = ReturnType<typeof createOAuthStore>;
