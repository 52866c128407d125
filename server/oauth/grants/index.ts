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
  const table: Record<GrantType, GrantHandler> = {
    authorization_code: authorizationCodeGrant(d.store, families),
    refresh_token: refreshTokenGrant(d.store, families),
    client_credentials: clientCredentialsGrant(d.tokens),
    [CIBA_GRANT]: backchannelGrant(d.authz, families),
    [DEVICE_GRANT]: deviceCodeGrant(d.device, families),
  };
  const supported = `${GRANT_TYPES.slice(0, -1).join(', ')} or ${GRANT_TYPES.at(-1)}`;
  return {
    families,
    /** The handler for a grant_type; anything else is RFC 6749 §5.2 unsupported_grant_type. */
    handlerFor(grantType: unknown): GrantHandler {
      if (typeof grantType === 'string' && Object.hasOwn(table, grantType)) return table[grantType as GrantType];
      throw new OAuthError(400, 'unsupported_grant_type', `grant_type must be ${supported}`);
    },
  };
}
