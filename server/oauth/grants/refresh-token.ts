import { OAuthError } from '../../http/errors.ts';
import { requireDpopIfBound } from '../dpop.ts';
import type { OAuthStore } from '../store.ts';
import { sha256hex } from '../tokens.ts';
import { invalidGrant, type GrantHandler, type TokenFamilies } from './token-family.ts';

/**
 * RFC 6749 §6: refresh tokens rotate on use; reusing an old one revokes its whole family (RFC 9700
 * §4.14.2). A DPoP-bound family stays bound to the key it started with. That is stricter than RFC 9449 §5 asks of
 * a confidential client (whose refresh token its own authentication already constrains), on purpose: a refresh
 * token and a client secret stolen together still mint nothing without the DPoP key. A client that moves to a new
 * key starts a new family (a new authorization).
 */
export function refreshTokenGrant(store: OAuthStore, families: TokenFamilies): GrantHandler {
  return async (client, p, jkt) => {
    const token = typeof p.refresh_token === 'string' ? p.refresh_token : '';
    const found = token ? await store.refreshWithFamily(sha256hex(token)) : undefined;
    if (!found || found.family.companyId !== client.id) throw invalidGrant('the refresh token is not valid');
    const { row, family } = found;
    const reused = async () => {
      await families.revokeFamily(family, client.id, 'refresh token reused');
      return invalidGrant('the refresh token was already used; its token family is revoked');
    };
    if (row.usedAt) throw await reused();
    if (family.revokedAt) throw invalidGrant('the refresh token has been revoked');
    if (row.expiresAt <= families.nowIso()) throw invalidGrant('the refresh token has expired');
    if (family.dpopJkt && family.dpopJkt !== jkt)
      throw new OAuthError(400, 'invalid_dpop_proof', 'the DPoP key does not match the one the tokens are bound to');
    requireDpopIfBound(client, jkt);
    // issuePair re-checks the grant (active, unexpired) before anything else. The old token's use and the new
    // one's insert commit together, durably, before the answer.
    let replayed = false;
    try {
      const asked = typeof p.scope === 'string' ? p.scope : undefined;
      const use = async () => {
        replayed = !(await store.useRefresh(row.tokenHash, families.nowIso()));
        if (replayed) throw invalidGrant('the refresh token was already used');
      };
      return await families.issuePair(client, family.grantId, family.id, family.dpopJkt ?? jkt, use, asked);
    } catch (e) {
      // The same token sent twice at once: both passed the look above, the other's rotation committed first
      // in the same batch. That is a replay like any other (RFC 9700 §4.14.2): the family is revoked, durably
      // (its own FULL transaction), before this answer.
      if (replayed) throw await reused();
      throw e;
    }
  };
}
