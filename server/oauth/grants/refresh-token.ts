import type { Db } from '../../db/connection.ts';
import { OAuthError } from '../../http/errors.ts';
import { requireDpopIfBound } from '../dpop.ts';
import type { OAuthStore } from '../store.ts';
import { sha256hex } from '../tokens.ts';
import { invalidGrant, type GrantHandler, type TokenFamilies } from './token-family.ts';

/**
 * RFC 6749 §6: refresh tokens rotate on use; reusing an old one revokes its whole family (RFC 9700
 * §4.14.2). A DPoP-bound family stays bound to the key it started with (RFC 9449 §5).
 */
export function refreshTokenGrant(db: Db, store: OAuthStore, families: TokenFamilies): GrantHandler {
  return async (client, p, jkt) => {
    const token = typeof p.refresh_token === 'string' ? p.refresh_token : '';
    const row = token ? store.refresh(sha256hex(token)) : undefined;
    const family = row ? store.family(row.familyId, row.customerId) : undefined;
    if (!row || !family || family.companyId !== client.id) throw invalidGrant('the refresh token is not valid');
    if (row.usedAt) {
      families.revokeFamily(family.id, family.grantId, client.id, 'refresh token reused');
      throw invalidGrant('the refresh token was already used; its token family is revoked');
    }
    if (family.revokedAt) throw invalidGrant('the refresh token has been revoked');
    if (row.expiresAt <= families.nowIso()) throw invalidGrant('the refresh token has expired');
    if (family.dpopJkt && family.dpopJkt !== jkt)
      throw new OAuthError(400, 'invalid_dpop_proof', 'the DPoP key does not match the one the tokens are bound to');
    requireDpopIfBound(client, jkt);
    families.activeGrant(family.grantId);
    // The old token's use and the new one's insert commit together, durably, before the answer.
    return families.issuePair(client, family.grantId, family.id, family.dpopJkt ?? jkt, () => {
      if (!store.useRefresh(row.tokenHash, families.nowIso())) throw invalidGrant('the refresh token was already used');
    });
  };
}
