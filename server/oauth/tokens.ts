import { hash, randomFillSync, randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { AppContext } from '../context.ts';
import { OAuthError } from '../http/errors.ts';
import type { AccessRequest } from './details.ts';
import { toAuthorizationDetails, toScope } from './details.ts';

/**
 * Access tokens are short-lived JWTs in the RFC 9068 profile (typ at+jwt), signed EdDSA, naming the
 * grant and the token family. Refresh tokens are opaque 256-bit values stored as SHA-256.
 */
export interface AccessClaims extends JWTPayload {
  client_id: string;
  grant_id?: string;
  fam?: string;
  purpose?: string;
  scope?: string;
  authorization_details?: ReturnType<typeof toAuthorizationDetails>;
  cnf?: { jkt: string };
  /** A connected product's token (RFC 8628): its deposits carry this device in their provenance. */
  device_id?: string;
  jti: string;
  exp: number;
  sub: string;
}

export const sha256hex = (s: string) => hash('sha256', s, 'hex');

/**
 * Opaque secrets (refresh tokens, codes) take 32 bytes each from a pool filled by the CSPRNG 128 secrets at a
 * time, as node's own randomUUID does: one randomBytes call per token cost more than the rest of its making.
 * Each slice of the pool is handed out once, then the pool is refilled.
 */
const OPAQUE_BYTES = 32;
const pool = Buffer.alloc(OPAQUE_BYTES * 128);
let poolOffset = pool.length;
export function newOpaque(prefix: string): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const value = pool.toString('base64url', poolOffset, poolOffset + OPAQUE_BYTES);
  poolOffset += OPAQUE_BYTES;
  return `${prefix}${value}`;
}

export const dataAudience = (issuer: string) => `${issuer}/data`;
export const grantsAudience = (issuer: string) => `${issuer}/grants`;

const CACHE_MAX = 20_000;

export function createTokenService(ctx: AppContext) {
  const issuer = ctx.config.publicUrl;
  // Verified-token cache keyed by SHA-256 of the token (ARCHITECTURE.md, "Speed"): signature checks leave the hot
  // path, while the grant, family and jti are still checked in the database on every request.
  const cache = new Map<string, AccessClaims>();
  const remember = (key: string, claims: AccessClaims) => {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, claims);
  };

  return {
    async issueAccess(input: {
      companyId: string;
      customerId: string;
      grantId: string;
      familyId: string;
      request: AccessRequest;
      jkt?: string | null;
      deviceId?: string;
    }) {
      const ttl = ctx.config.accessTokenTtlSeconds;
      const now = Math.floor(ctx.clock.now().getTime() / 1000);
      const claims: AccessClaims = {
        iss: issuer,
        sub: input.customerId,
        aud: dataAudience(issuer),
        client_id: input.companyId,
        grant_id: input.grantId,
        fam: input.familyId,
        purpose: input.request.purpose,
        scope: toScope(input.request),
        authorization_details: toAuthorizationDetails(input.request),
        iat: now,
        exp: now + ttl,
        jti: randomUUID(),
        ...(input.jkt ? { cnf: { jkt: input.jkt } } : {}),
        ...(input.deviceId ? { device_id: input.deviceId } : {}),
      };
      // On libuv's thread pool, as issueManagement's below: the signature runs beside the rotation's group commit.
      return { token: await ctx.signing.signInPool(claims, 'at+jwt'), expiresIn: ttl, claims };
    },

    async issueManagement(companyId: string, jkt?: string | null) {
      const ttl = ctx.config.accessTokenTtlSeconds;
      const now = Math.floor(ctx.clock.now().getTime() / 1000);
      const claims: AccessClaims = {
        iss: issuer,
        sub: companyId,
        aud: grantsAudience(issuer),
        client_id: companyId,
        scope: 'grant_management',
        iat: now,
        exp: now + ttl,
        jti: randomUUID(),
        ...(jkt ? { cnf: { jkt } } : {}),
      };
      // Signed on libuv's thread pool: a client-credentials token is issued outside any database unit, and the
      // Ed25519 signature (about 45 µs) was a quarter of the request's event-loop time (README "Benchmarks").
      return { token: await ctx.signing.signInPool(claims, 'at+jwt'), expiresIn: ttl, claims };
    },

    /** Verifies signature (EdDSA only), typ, iss, aud and exp. Throws a 401 with a challenge. */
    async verifyAccess(token: string, audience: string, scheme: 'Bearer' | 'DPoP' = 'Bearer'): Promise<AccessClaims> {
      const key = sha256hex(token);
      const nowS = ctx.clock.now().getTime() / 1000;
      const hit = cache.get(key);
      if (hit && hit.aud === audience) {
        if (hit.exp <= nowS) throw new OAuthError(401, 'invalid_token', 'The access token has expired', scheme);
        return hit;
      }
      let claims: AccessClaims;
      try {
        const r = await ctx.signing.verifyJwt(token, {
          issuer,
          audience,
          typ: 'at+jwt',
          currentDate: ctx.clock.now(),
          requiredClaims: ['exp', 'jti', 'sub', 'client_id'],
        });
        claims = r.payload as AccessClaims;
      } catch (e) {
        throw new OAuthError(401, 'invalid_token', `The access token is not valid: ${(e as Error).message}`, scheme);
      }
      remember(key, claims);
      return claims;
    },

    /**
     * Decodes a token for introspection without trusting it beyond its signature. Shares the verified-token
     * cache: an entry is only ever a token whose signature, typ and issuer were checked (any audience; the
     * callers compare client, expiry, revocation and grant themselves); an expired hit is refused as before.
     */
    async tryVerify(token: string): Promise<AccessClaims | undefined> {
      const key = sha256hex(token);
      const hit = cache.get(key);
      if (hit) return hit.exp <= ctx.clock.now().getTime() / 1000 ? undefined : hit;
      try {
        const r = await ctx.signing.verifyJwt(token, { issuer, typ: 'at+jwt', currentDate: ctx.clock.now() });
        const claims = r.payload as AccessClaims;
        // Only complete access tokens go into the cache verifyAccess also reads (its own required claims).
        if (['exp', 'jti', 'sub', 'client_id'].every((c) => claims[c] !== undefined)) remember(key, claims);
        return claims;
      } catch {
        return undefined;
      }
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
