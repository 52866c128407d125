import type { DeviceFlow } from '../device/service.ts';
import { approvedRequestGrant } from './approved-request.ts';
import type { GrantHandler, TokenFamilies } from './token-family.ts';

/**
 * Tokens for a connected product (RFC 8628 §3.4-3.5): the device request's state decides first (slow_down,
 * authorization_pending, access_denied, expired_token), then a new token family on the grant, opened only
 * if the device code is consumed now.
 */
export function deviceCodeGrant(device: Pick<DeviceFlow, 'outcome'>, families: TokenFamilies): GrantHandler {
  return approvedRequestGrant('device_code', (client, code) => device.outcome(client, code), families);
}
