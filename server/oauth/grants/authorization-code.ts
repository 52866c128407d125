import { createHash, timingSafeEqual } from 'node:crypto';
import { requireDpopIfBound } from '../dpop.ts';
import type { OAuthStore } from '../store.ts';
import { sha256hex } from '../tokens.ts';
import { invalidGrant, type GrantHandler, type TokenFamilies } from './token-family.ts';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge, compared in constant time. */
function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** RFC 6749 §4.1.3: a code, once, for the client it was issued to, with its PKCE verifier; opens a token family. */
export function authorizationCodeGrant(store: OAuthStore, families: TokenFamilies): GrantHandler {
  return async (client, p, jkt) => {
    const code = typeof p.code === 'string' ? p.code : '';
    const row = code ? await store.code(sha256hex(code)) : undefined;
    if (!row || row.companyId !== client.id) throw invalidGrant('the code is not valid');
    if (row.usedAt) {
      // A replayed code means it leaked (RFC 9700 §4.5.3.1): kill every token its first use produced.
      await families.revokeFamily(
        { id: row.familyId, customerId: row.customerId, grantId: row.grantId },
        client.id,
        'authorization code reused',
      );
      throw invalidGrant('the code was already used; tokens issued with it are revoked');
    }
    if (row.expiresAt <= families.nowIso()) throw invalidGrant('the code has expired');
    // RFC 6749 §4.1.3: required (and equal) if the authorization request named it; may be left out if it did not.
    const named = (await store.request(row.requestId))?.redirectUriGiven !== false;
    if (p.redirect_uri === undefined ? named : p.redirect_uri !== row.redirectUri)
      throw invalidGrant('redirect_uri does not match the authorization request');
    const verifier = typeof p.code_verifier === 'string' ? p.code_verifier : '';
    if (!VERIFIER.test(verifier) || !pkceMatches(verifier, row.codeChallenge))
      throw invalidGrant('PKCE verification failed');
    requireDpopIfBound(client, jkt);
    await families.activeGrant(row.grantId);
    await families.openFamily(
      { id: row.familyId, grantId: row.grantId, customerId: row.customerId, companyId: client.id, jkt },
      () => store.useCode(row.codeHash, families.nowIso()),
      'the code was already used',
    );
    return families.issuePair(client, row.grantId, row.familyId, jkt);
  };
}
