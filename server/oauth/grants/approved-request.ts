import { randomUUID } from 'node:crypto';
import { requireDpopIfBound } from '../dpop.ts';
import type { ClientView } from '../request-params.ts';
import type { GrantHandler, TokenFamilies } from './token-family.ts';

/** A request the customer approved away from the client, ready to be used once. */
export interface ApprovedRequest {
  grantId: string;
  /** Marks the request used; false when it already was (a second poll racing the first). */
  consume: () => Promise<boolean>;
}

/**
 * What the grant types whose customer decides out of band share (CIBA back-channel, RFC 8628 device): the
 * request's state decides first (its `outcome` throws authorization_pending, access_denied, expired_token,
 * …), then a new token family on the grant, opened only if the request is consumed now.
 */
export function approvedRequestGrant(
  param: 'auth_req_id' | 'device_code',
  outcome: (client: ClientView, id: string) => Promise<ApprovedRequest>,
  families: TokenFamilies,
): GrantHandler {
  return async (client, p, jkt) => {
    const approved = await outcome(client, String(p[param] ?? ''));
    requireDpopIfBound(client, jkt);
    const familyId = randomUUID();
    const { customerId } = await families.activeGrant(approved.grantId);
    await families.openFamily(
      { id: familyId, grantId: approved.grantId, customerId, companyId: client.id, jkt },
      approved.consume,
      `${param} was already used`,
    );
    return families.issuePair(client, approved.grantId, familyId, jkt);
  };
}
