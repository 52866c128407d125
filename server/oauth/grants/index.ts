import type { AppContext } from '../../context.ts';
import { OAuthError } from '../../http/errors.ts';
import type { Authorization } from '../authorize.ts';
import { authorizationCodeGrant } from './authorization-code.ts';
import { backchannelGrant } from './backchannel.ts';
import { clientCredentialsGrant } from './client-credentials.ts';
import type { DeviceFlow } from '../device/service.ts';
import { deviceCodeGrant } from './device-code.ts';
import { CIBA_GRANT, DEVICE_GRANT, GRANT_TYPES, type GrantType } from './grant-types.ts';
import { refreshTokenGrant } from './refresh-token.ts';
import { createTokenFamilies, type GrantDeps, type GrantHandler } from './token-family.ts';

/** One handler per grant type: the type of the table makes a listed grant type without a handler a type error. */
export function createGrantTable(
  ctx: AppContext,
  d: GrantDeps & { authz: Authorization; device: Pick<DeviceFlow, 'outcome'> },
) {
  const families = createTokenFamilies(ctx, d);
  // Each grant type with the parameter it cannot be asked without (RFC 6749 §4.1.3, §6; RFC 8628 §3.4; CIBA §10.1):
  // a request missing it is invalid_request (RFC 6749 §5.2), not a grant that failed.
  const table: Record<GrantType, GrantHandler> = {
    authorization_code: requiring('code', authorizationCodeGrant(d.store, families)),
    refresh_token: requiring('refresh_token', refreshTokenGrant(d.store, families)),
    client_credentials: clientCredentialsGrant(d.tokens),
    [CIBA_GRANT]: requiring('auth_req_id', backchannelGrant(d.authz, families)),
    [DEVICE_GRANT]: requiring('device_code', deviceCodeGrant(d.device, families)),
  };
  const supported = `${GRANT_TYPES.slice(0, -1).join(', ')} or ${GRANT_TYPES.at(-1)}`;
  return {
    families,
    /**
     * The handler for a grant_type: RFC 6749 §5.2 invalid_request when grant_type or the type's own parameter is
     * missing, unsupported_grant_type for any other type.
     */
    handlerFor(grantType: unknown): GrantHandler {
      if (grantType === undefined || grantType === '')
        throw new OAuthError(400, 'invalid_request', 'grant_type is required');
      if (typeof grantType !== 'string' || !Object.hasOwn(table, grantType))
        throw new OAuthError(400, 'unsupported_grant_type', `grant_type must be ${supported}`);
      return table[grantType as GrantType];
    },
  };
}

/** The handler, run only when the request carries `param` (a non-empty string). */
function requiring(param: string, handler: GrantHandler): GrantHandler {
  return (client, p, jkt) => {
    if (typeof p[param] !== 'string' || p[param] === '')
      throw new OAuthError(400, 'invalid_request', `${param} is required`);
    return handler(client, p, jkt);
  };
}
