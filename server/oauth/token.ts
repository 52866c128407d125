import type { AppContext } from '../context.ts';
import type { Authorization } from './authorize.ts';
import type { DeviceFlow } from './device/service.ts';
import { createGrantTable } from './grants/index.ts';
import type { GrantDeps } from './grants/token-family.ts';
import type { ClientView } from './request-params.ts';
import { sha256hex } from './tokens.ts';
import { accessNow } from './access-now.ts';

/**
 * The token endpoint (RFC 6749 §3.2): each grant_type is served by its own file in grants/, chosen from
 * a table; introspection (RFC 7662) and revocation (RFC 7009) see the same token families.
 */
export function createTokenEndpoint(
  ctx: AppContext,
  d: GrantDeps & { authz: Authorization; device: Pick<DeviceFlow, 'outcome'> },
) {
  const { families, handlerFor } = createGrantTable(ctx, d);
  /** The grant a token names, if it is still active (refreshed first, so an expiry is seen). */
  const liveGrant = async (grantId: string) => {
    const g = await d.grants.store.byId(grantId);
    return g && (await d.grants.refresh(g)).status === 'active' ? g : undefined;
  };

  return {
    /** Tokens for one grant_type; an unknown one is unsupported_grant_type. */
    grant(grantType: unknown, client: ClientView, p: Record<string, unknown>, jkt: string | null) {
      return handlerFor(grantType)(client, p, jkt);
    },

    /** RFC 7662: active only if the token is ours, the caller's, unrevoked, and its grant is live. */
    async introspect(client: ClientView, token: string) {
      const claims = await d.tokens.tryVerify(token);
      if (claims) {
        if (
          claims.client_id !== client.id ||
          claims.exp <= ctx.clock.now().getTime() / 1000 ||
          (await d.store.isJtiRevoked(claims.jti))
        )
          return { active: false };
        if (claims.fam && (await d.store.family(claims.fam, claims.sub))?.revokedAt) return { active: false };
        const g = claims.grant_id ? await liveGrant(claims.grant_id) : undefined;
        if (claims.grant_id && !g) return { active: false };
        // RFC 7662 §2.2: what the token may do now, after any narrowing of its grant.
        const now = g ? accessNow(claims, g) : claims;
        if (!now) return { active: false };
        const { iss, sub, aud, iat, jti, client_id, grant_id, cnf } = claims;
        const { scope, authorization_details, exp } = now;
        return {
          active: true,
          token_type: cnf ? 'DPoP' : 'Bearer',
          iss,
          sub,
          aud,
          exp,
          iat,
          jti,
          scope,
          client_id,
          grant_id,
          authorization_details,
          cnf,
        };
      }
      const row = await d.store.refresh(sha256hex(token));
      const family = row ? await d.store.family(row.familyId, row.customerId) : undefined;
      if (
        !row ||
        !family ||
        family.companyId !== client.id ||
        row.usedAt ||
        family.revokedAt ||
        row.expiresAt <= families.nowIso()
      )
        return { active: false };
      const g = await liveGrant(family.grantId);
      if (!g) return { active: false };
      // No token_type: RFC 7662 §2.2 means an access token type (RFC 6749 §7.1), which a refresh token has not.
      return {
        active: true,
        client_id: client.id,
        sub: g.customerId,
        grant_id: g.id,
        exp: Math.floor(Date.parse(row.expiresAt) / 1000),
      };
    },

    /** RFC 7009 §2.2: always 200; a token of another client is left alone. */
    async revoke(client: ClientView, token: string) {
      const claims = await d.tokens.tryVerify(token);
      if (claims) {
        if (claims.client_id === client.id) {
          await ctx.backend.inTransaction(async () => {
            await d.store.revokeJti(claims.jti, new Date(claims.exp * 1000).toISOString());
            await d.audit({
              action: 'token.revoked',
              actor: { kind: 'company', id: client.id },
              companyId: client.id,
              grantId: claims.grant_id,
              detail: { tokenType: 'access_token' },
            });
          });
        }
        return;
      }
      const row = await d.store.refresh(sha256hex(token));
      const family = row ? await d.store.family(row.familyId, row.customerId) : undefined;
      if (family && family.companyId === client.id)
        await families.revokeFamily(family, client.id, 'revoked by the client');
    },
  };
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>;
