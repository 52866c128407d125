/**
 * Access-token ids this server has refused as revoked (RFC 7009), kept in memory so that the data API's
 * authenticator refuses a revoked token presented again without a database unit of its own (server/oauth/bearer.ts,
 * revocationInUnit): a revocation is final, a jti never comes back, so an id here is never stale. Bounded: at most
 * REVOKED_JTIS_KEPT ids, each until its token's own expiry, the oldest dropped first (SECURITY.md). An id not here
 * is simply checked in the unit, as every token is.
 */
export const REVOKED_JTIS_KEPT = 10_000;

export function createRevokedJtis(max = REVOKED_JTIS_KEPT) {
  // Insertion order is the order of eviction: a Map keeps it.
  const ids = new Map<string, number>();
  return {
    /** Remembers a revoked jti until `expiresAtMs`, its token's expiry. */
    add(jti: string, expiresAtMs: number): void {
      ids.delete(jti);
      ids.set(jti, expiresAtMs);
      if (ids.size > max) ids.delete(ids.keys().next().value!);
    },
    /** Whether `jti` is known revoked at `nowMs` (a token past its expiry is refused as expired anyway). */
    has(jti: string, nowMs: number): boolean {
      const until = ids.get(jti);
      if (until === undefined) return false;
      if (until > nowMs) return true;
      ids.delete(jti);
      return false;
    },
    size: () => ids.size,
  };
}

export type RevokedJtis = ReturnType<typeof createRevokedJtis>;
