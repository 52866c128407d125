import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../context.ts';
import type { Decide } from '../../grants/decide.ts';
import { BadRequest, OAuthError } from '../../http/errors.ts';
import { reasonsForCompany } from '../../policy/index.ts';
import type { Authorization } from '../authorize.ts';
import { parseAuthorizationDetails, parseScope, type AccessRequest } from '../details.ts';
import type { RequestLimits } from '../request-limits.ts';
import type { ClientView } from '../request-params.ts';
import type { OAuthStore } from '../store.ts';
import { newOpaque, sha256hex } from '../tokens.ts';
import type { DeviceStore } from './store.ts';
import { newUserCode, normalizeUserCode } from './user-code.ts';

/** How long a device code and its user code live (RFC 8628 §3.2 expires_in; SECURITY.md "Connected products"). */
export const DEVICE_CODE_TTL_S = 600;
/** The polling interval the device starts with (RFC 8628 §3.2 interval), and the step slow_down adds (§3.5). */
export const DEVICE_INTERVAL_S = 5;
export const SLOW_DOWN_STEP_S = 5;
/** The dashboard page where the customer enters the user code (RFC 8628 §3.2 verification_uri). */
export const CONNECT_PATH = '/connect';

// Wrong, expired, used and never-issued codes get the same answer: it must not tell whether a code exists.
const badCode = () =>
  new BadRequest('That code is not valid. Check the code your product shows, or ask the product for a new one.');

/**
 * The device authorization grant (RFC 8628) for connected products: the device asks (§3.1-3.2), the
 * customer enters the user code in the dashboard (§3.3) and decides on the consent screen like any other
 * request, and the device polls /token (§3.4-3.5) until it gets tokens, is refused, or the code expires.
 */
export function createDeviceFlow(
  ctx: AppContext,
  d: { store: DeviceStore; oauth: OAuthStore; authz: Authorization; decide: Decide; limits: RequestLimits },
) {
  const issuer = ctx.config.publicUrl;
  const nowIso = (plusS = 0) => new Date(ctx.clock.now().getTime() + plusS * 1000).toISOString();

  function requestOf(params: Record<string, unknown>): AccessRequest {
    if (typeof params.authorization_details === 'string')
      return parseAuthorizationDetails(params.authorization_details);
    if (typeof params.scope === 'string') return parseScope(params.scope);
    throw new OAuthError(400, 'invalid_request', 'authorization_details (type customer_data) or scope is required');
  }

  return {
    /** RFC 8628 §3.1-3.2: a device client asks; the platform policy decides first (no customer is known yet). */
    async authorize(client: ClientView, params: Record<string, unknown>) {
      if (!client.productName)
        throw new OAuthError(
          400,
          'unauthorized_client',
          'register the client with a product_name to use the device authorization grant',
        );
      await d.limits.deviceByCompany(client.id);
      const request = requestOf(params);
      const platform = await d.decide('request', { companyId: client.id, request });
      // RFC 8628 §3.2: errors here are RFC 6749 §5.2 responses, so 400 (not the 403 of a resource refusal);
      // access_denied is the code RFC 8628 §3.5 already gives this client for a refused request.
      if (!platform.allow)
        throw new OAuthError(400, 'access_denied', 'The platform policy refuses this request', undefined, {
          reasons: reasonsForCompany(platform.reasons),
          policyVersion: platform.policyVersion,
        });
      const id = randomBytes(24).toString('base64url');
      const deviceCode = newOpaque('dc_');
      const userCode = newUserCode();
      const expiresAt = nowIso(DEVICE_CODE_TTL_S);
      await ctx.backend.inTransaction(async () => {
        await d.oauth.insertRequest({
          id,
          companyId: client.id,
          mode: 'device',
          details: JSON.stringify(request),
          status: 'pushed',
          createdAt: nowIso(),
          expiresAt,
        });
        await d.store.insert({
          requestId: id,
          companyId: client.id,
          deviceCodeHash: sha256hex(deviceCode),
          userCodeHash: sha256hex(normalizeUserCode(userCode)!),
          intervalS: DEVICE_INTERVAL_S,
          expiresAt,
        });
      });
      const verificationUri = `${issuer}${CONNECT_PATH}`;
      return {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?code=${encodeURIComponent(userCode)}`,
        expires_in: DEVICE_CODE_TTL_S,
        interval: DEVICE_INTERVAL_S,
      };
    },

    /**
     * RFC 8628 §3.3: the signed-in customer typed a user code. A live, unclaimed code becomes their request
     * and is decided (policy, their criteria, auto-approval); the dashboard then shows its consent screen.
     */
    async enter(customerId: string, typed: string, requestId?: string): Promise<{ request: string; status: string }> {
      const code = normalizeUserCode(typed);
      const dc = code ? await d.store.byUserCode(sha256hex(code)) : undefined;
      const row = dc ? await d.oauth.request(dc.requestId) : undefined;
      if (!dc || !row || dc.expiresAt <= nowIso() || row.expiresAt <= nowIso() || row.status !== 'pushed')
        throw badCode();
      const status = await d.authz.claimDevice(row, customerId, requestId);
      if (!status) throw badCode();
      await d.store.update(dc.requestId, { customerId });
      return { request: row.id, status };
    },

    /**
     * RFC 8628 §3.4-3.5, for the token endpoint: slow_down for a poll sooner than the interval (which then
     * grows by 5 s for good), otherwise the request's state: authorization_pending, access_denied,
     * expired_token, or the approved grant with `consume` (called once the token endpoint's own checks pass).
     */
    async outcome(
      client: ClientView,
      deviceCode: string,
    ): Promise<{ grantId: string; consume: () => Promise<boolean> }> {
      const dc = deviceCode ? await d.store.byDeviceCode(sha256hex(deviceCode)) : undefined;
      if (!dc || dc.companyId !== client.id) throw new OAuthError(400, 'invalid_grant', 'device_code is not valid');
      const now = ctx.clock.now();
      const tooSoon = dc.lastPollAt !== null && now.getTime() - Date.parse(dc.lastPollAt) < dc.intervalS * 1000;
      const intervalS = tooSoon ? dc.intervalS + SLOW_DOWN_STEP_S : dc.intervalS;
      await d.store.update(dc.requestId, { lastPollAt: now.toISOString(), intervalS });
      if (tooSoon)
        throw new OAuthError(400, 'slow_down', `poll at most every ${intervalS} seconds`, undefined, {
          interval: intervalS,
        });
      const row = await d.oauth.request(dc.requestId);
      if (!row || row.mode !== 'device') throw new OAuthError(400, 'invalid_grant', 'device_code is not valid');
      if (row.status === 'denied') throw new OAuthError(400, 'access_denied', 'the customer denied the request');
      if (row.status === 'consumed') throw new OAuthError(400, 'invalid_grant', 'device_code was already used');
      if (row.expiresAt <= now.toISOString() || row.status === 'expired')
        throw new OAuthError(400, 'expired_token', 'the device code expired; start again');
      if (row.status === 'pending' || row.status === 'pushed')
        throw new OAuthError(400, 'authorization_pending', 'the customer has not answered yet');
      if (row.status !== 'approved' || !row.grantId)
        throw new OAuthError(400, 'invalid_grant', 'device_code is not valid');
      return {
        grantId: row.grantId,
        consume: () => d.oauth.transitionRequest(row.id, 'approved', { status: 'consumed' }),
      };
    },

    /** The sweep: device codes an hour past their expiry, like the requests they belong to (oauth/purge.ts). */
    purge: (cutoff: string) => d.store.purgeBefore(cutoff),
  };
}

export type DeviceFlow = ReturnType<typeof createDeviceFlow>;
