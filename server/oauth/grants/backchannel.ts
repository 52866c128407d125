import { randomUUID } from 'node:crypto';
import type { Authorization } from '../authorize.ts';
import { requireDpopIfBound } from '../dpop.ts';
import type { GrantHandler, TokenFamilies } from './token-family.ts';

/**
 * Tokens for an approved back-channel request: the request's state decides first (pending, denied,
 * expired, consumed), then a new token family on the grant, opened only if the request is consumed now.
 */
export function backchannelGrant(authz: Authorization, families: TokenFamilies): GrantHandler {
  return async (client, p, jkt) => {
    const approved = authz.backchannelOutcome(client, String(p.auth_req_id ?? ''));
    requireDpopIfBound(client, jkt);
    const familyId = randomUUID();
    const { customerId } = families.activeGrant(approved.grantId);
    families.openFamily(
      { id: familyId, grantId: approved.grantId, customerId, companyId: client.id, jkt },
      approved.consume,
      'auth_req_id was already used',
    );
    return families.issuePair(client, approved.grantId, familyId, jkt);
  };
}
