import type { Authorization } from '../authorize.ts';
import { approvedRequestGrant } from './approved-request.ts';
import type { GrantHandler, TokenFamilies } from './token-family.ts';

/**
 * Tokens for an approved back-channel request: the request's state decides first (pending, denied,
 * expired, consumed), then a new token family on the grant, opened only if the request is consumed now.
 */
export function backchannelGrant(authz: Authorization, families: TokenFamilies): GrantHandler {
  return approvedRequestGrant('auth_req_id', (client, id) => authz.backchannelOutcome(client, id), families);
}
