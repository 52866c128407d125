import type { Backend } from '../db/backend.ts';
import { rawStatement, type RawText } from '../db/raw.ts';

/**
 * How long a row outlives its own expiry before the sweep deletes it: one hour, at least the longest
 * access-token lifetime (VAULT_ACCESS_TOKEN_TTL ≤ 3600 s), so that a token family is never gone while a
 * token of it could still be presented, and an expired request still reads as expired, not unknown, for
 * a while (SECURITY.md "Floods and bounds").
 */
export const RETAIN_EXPIRED_S = 3600;
/** A used refresh token is kept a day after its use, to catch a replay (RFC 9700 §4.14.2) that then revokes its family. */
export const REUSE_DETECTION_S = 86_400;
/** Rows deleted per table and sweep, so that one sweep never holds the write lock for long. */
export const PURGE_BATCH = 5_000;

/**
 * Deletes what has expired from the oauth/ tables: authorization requests (pushed, front-channel and
 * back-channel, whatever their status), codes, refresh tokens (expired, long used, or of a family revoked
 * long ago), token families (revoked long ago, or whose last refresh token is expiring), and revoked-jti
 * rows of tokens that have expired anyway. Every statement goes through an expiry index.
 */
export function createOAuthPurge(b: Backend) {
  // In batches, by SQLite's rowid or PostgreSQL's ctid (neither has DELETE … LIMIT).
  const batch = (table: string, where: string) =>
    rawStatement(b, {
      sqlite: `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${PURGE_BATCH})`,
      postgres: `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${where} LIMIT ${PURGE_BATCH})`,
    });
  const plain = (text: RawText) => rawStatement(b, text);
  const requests = batch('auth_requests', 'expires_at < ?');
  const codes = batch('auth_codes', 'expires_at < ?');
  // A family whose refresh tokens have all ended goes with them (its grant has ended too).
  const endedFamilies = plain(
    `DELETE FROM token_families WHERE id IN (SELECT family_id FROM refresh_tokens WHERE expires_at < ? LIMIT ${PURGE_BATCH})
       AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = token_families.id AND r.expires_at >= ?)`,
  );
  const expiredRefresh = batch('refresh_tokens', 'expires_at < ?');
  const usedRefresh = batch('refresh_tokens', 'used_at < ?');
  const revokedFamilyRefresh = plain(
    `DELETE FROM refresh_tokens WHERE family_id IN (SELECT id FROM token_families WHERE revoked_at < ? LIMIT ${PURGE_BATCH})`,
  );
  const revokedFamilies = batch('token_families', 'revoked_at < ?');
  const revokedJtis = batch('revoked_access_tokens', 'expires_at < ?');

  return async (now: Date): Promise<Record<string, number>> => {
    const cutoff = new Date(now.getTime() - RETAIN_EXPIRED_S * 1000).toISOString();
    const usedCutoff = new Date(now.getTime() - REUSE_DETECTION_S * 1000).toISOString();
    // Families first: they are found through the refresh tokens that are about to go.
    const families = await endedFamilies.run(cutoff, cutoff);
    const refreshOfRevoked = await revokedFamilyRefresh.run(cutoff);
    return {
      authRequests: await requests.run(cutoff),
      authCodes: await codes.run(cutoff),
      tokenFamilies: families + (await revokedFamilies.run(cutoff)),
      refreshTokens: refreshOfRevoked + (await expiredRefresh.run(cutoff)) + (await usedRefresh.run(usedCutoff)),
      revokedJtis: await revokedJtis.run(cutoff),
    };
  };
}
