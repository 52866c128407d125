import { OAuthError } from '../../http/errors.ts';
import { requireDpopIfBound } from '../dpop.ts';
import type { TokenService } from '../tokens.ts';
import { tokenType, type GrantHandler } from './token-family.ts';

/** RFC 6749 §4.4, for the company's own grant-management API (scope grant_management); no refresh token. */
export function clientCredentialsGrant(tokens: TokenService): GrantHandler {
  return async (client, p, jkt) => {
    if (p.scope !== undefined && p.scope !== 'grant_management')
      throw new OAuthError(400, 'invalid_scope', 'the only client_credentials scope is grant_management');
    requireDpopIfBound(client, jkt);
    const at = await tokens.issueManagement(client.id, jkt);
    return { access_token: at.token, token_type: tokenType(jkt), expires_in: at.expiresIn, scope: 'grant_management' };
  };
}
