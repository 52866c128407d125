import { randomUUID } from 'node:crypto';
import { requireDpopIfBound } from '../dpop.ts';
import type { DeviceFlow } from '../device/service.ts';
import type { GrantHandler, TokenFamilies } from './token-family.ts';

/**
 * Tokens for a connected product (RFC 8628 §3.4-3.5): the device request's state decides first (slow_down,
 * authorization_pending, access_denied, expired_token), then a new token family on the grant, opened only
 * if the device code is consumed now.
 */
export function deviceCodeGrant(device: Pick<DeviceFlow, 'outcome'>, families: TokenFamilies): GrantHandler {
  return async (client, p, jkt) => {
    const approved = device.outcome(client, String(p.device_code ?? ''));
    requireDpopIfBound(client, jkt);
    const familyId = randomUUID();
    const { customerId } = families.activeGrant(approved.grantId);
    families.openFamily(
      { id: familyId, grantId: approved.grantId, customerId, companyId: client.id, jkt },
      approved.consume,
      'device_code was already used',
    );
    return families.issuePair(client, approved.grantId, familyId, jkt);
  };
}
