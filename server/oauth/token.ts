import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import { inTransaction } from '../db/connection.ts';
import type { Grants } from '../grants/service.ts';
import { OAuthError } from '../http/errors.ts';
import type { AccessRequest } from './details.ts';
import { toAuthorizationDetails } from './details.ts';
import type { ClientView } from './request-params.ts';
import type { OAuthStore } from './store.ts';
import { newOpaque, sha256hex, type TokenService } from './tokens.ts';

const invalidGrant = (msg: string) => new OAuthError(400, 'invalid_grant', msg);
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge, compared in constant time. */
function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/**
 * The token endpoint's grants (RFC 6749 §4.1.3, §6, §4.4). A reused code or refresh token revokes the
 * whole token family it belongs to (RFC 9700 §4.5.3.1 / §4.14.2), and every grant re-checks that the
 * customer's grant is still active.
 */
export function createTokenEndpoint(
  ctx: AppContext,
  d: { store: OAuthStore; grants: Grants; tokens: TokenService; audit: AuditAppend },
) {
  const nowIso = () => ctx.clock.now().toISOString();

  function revokeFamily(familyId: string, grantId: string, companyId: string, reason: string) {
    inTransaction(ctx.db, () => {
      if (d.store.revokeFamily(familyId, nowIso(), reason).changes > 0) {
        d.audit({
          action: 'token.revoked',
          actor: { kind: 'system', id: 'token-endpoint' },
          companyId,
          grantId,
          detail: { reason },
        });
      }
    });
  }

  function activeGrant(grantId: string) {
    const g = d.grants.store.byId(grantId);
    if (!g) throw invalidGrant('the grant no longer exists');
    const fresh = d.grants.refresh(g);
    if (fresh.status !== 'active') throw invalidGrant(`the grant is ${fresh.status}`);
    return fresh;
  }

  async function issuePair(client: ClientView, grantId: string, familyId: string, jkt: string | null) {
    const g = activeGrant(grantId);
    const request: AccessRequest = {
      purpose: g.purpose,
      fields: JSON.parse(g.fields),
      actions: JSON.parse(g.actions),
      durationDays: Math.max(1, Math.ceil((Date.parse(g.expiresAt) - ctx.clock.now().getTime()) / 86_400_000)),
    };
    const refresh = newOpaque('rt_');
    d.store.insertRefresh({ tokenHash: sha256hex(refresh), familyId, createdAt: nowIso(), expiresAt: g.expiresAt });
    const at = await d.tokens.issueAccess({
      companyId: client.id,
      customerId: g.customerId,
      grantId,
      familyId,
      request,
      jkt,
    });
    return {
      access_token: at.token,
      token_type: jkt ? 'DPoP' : 'Bearer',
      expires_in: at.expiresIn,
      refresh_token: refresh,
      scope: at.claims.scope,
      authorization_details: toAuthorizationDetails(request),
      grant_id: grantId,
    };
  }

  return {
    async authorizationCode(client: ClientView, p: Record<string, unknown>, jkt: string | null) {
      const code = typeof p.code === 'string' ? p.code : '';
      const row = code ? d.store.code(sha256hex(code)) : undefined;
      if (!row || row.companyId !== client.id) throw invalidGrant('the code is not valid');
      if (row.usedAt) {
        // A replayed code means it leaked: kill every token its first use produced.
        revokeFamily(row.familyId, row.grantId, client.id, 'authorization code reused');
        throw invalidGrant('the code was already used; tokens issued with it are revoked');
      }
      if (row.expiresAt <= nowIso()) throw invalidGrant('the code has expired');
      // RFC 6749 §4.1.3: required (and equal) if the authorization request named it; may be left out if it did not.
      const named = d.store.request(row.requestId)?.redirectUriGiven !== false;
      if (p.redirect_uri === undefined ? named : p.redirect_uri !== row.redirectUri)
        throw invalidGrant('redirect_uri does not match the authorization request');
      const verifier = typeof p.code_verifier === 'string' ? p.code_verifier : '';
      if (!VERIFIER.test(verifier) || !pkceMatches(verifier, row.codeChallenge))
        throw invalidGrant('PKCE verification failed');
      if (client.dpopBound && !jkt) throw new OAuthError(400, 'invalid_dpop_proof', 'this client must use DPoP');
      activeGrant(row.grantId);
      inTransaction(ctx.db, () => {
        if (!d.store.useCode(row.codeHash, nowIso())) throw invalidGrant('the code was already used');
        d.store.insertFamily({
          id: row.familyId,
          grantId: row.grantId,
          companyId: client.id,
          dpopJkt: jkt,
          createdAt: nowIso(),
        });
      });
      return issuePair(client, row.grantId, row.familyId, jkt);
    },

    async refreshToken(client: ClientView, p: Record<string, unknown>, jkt: string | null) {
      const token = typeof p.refresh_token === 'string' ? p.refresh_token : '';
      const row = token ? d.store.refresh(sha256hex(token)) : undefined;
      const family = row ? d.store.family(row.familyId) : undefined;
      if (!row || !family || family.companyId !== client.id) throw invalidGrant('the refresh token is not valid');
      if (row.usedAt) {
        revokeFamily(family.id, family.grantId, client.id, 'refresh token reused');
        throw invalidGrant('the refresh token was already used; its token family is revoked');
      }
      if (family.revokedAt) throw invalidGrant('the refresh token has been revoked');
      if (row.expiresAt <= nowIso()) throw invalidGrant('the refresh token has expired');
      if (family.dpopJkt && family.dpopJkt !== jkt)
        throw new OAuthError(400, 'invalid_dpop_proof', 'the DPoP key does not match the one the tokens are bound to');
      if (client.dpopBound && !jkt) throw new OAuthError(400, 'invalid_dpop_proof', 'this client must use DPoP');
      activeGrant(family.grantId);
      if (!inTransaction(ctx.db, () => d.store.useRefresh(row.tokenHash, nowIso())))
        throw invalidGrant('the refresh token was already used');
      return issuePair(client, family.grantId, family.id, family.dpopJkt ?? jkt);
    },

    /** Tokens for an approved back-channel request: a new token family on the grant, once `consume` succeeds. */
    async forApprovedGrant(
      client: ClientView,
      approved: { grantId: string; consume: () => boolean },
      jkt: string | null,
    ) {
      if (client.dpopBound && !jkt) throw new OAuthError(400, 'invalid_dpop_proof', 'this client must use DPoP');
      const familyId = randomUUID();
      activeGrant(approved.grantId);
      inTransaction(ctx.db, () => {
        if (!approved.consume()) throw invalidGrant('auth_req_id was already used');
        d.store.insertFamily({
          id: familyId,
          grantId: approved.grantId,
          companyId: client.id,
          dpopJkt: jkt,
          createdAt: nowIso(),
        });
      });
      return issuePair(client, approved.grantId, familyId, jkt);
    },

    /** RFC 6749 §4.4, for the company's own grant-management API (scope grant_management). */
    async clientCredentials(client: ClientView, p: Record<string, unknown>, jkt: string | null) {
      if (p.scope !== undefined && p.scope !== 'grant_management')
        throw new OAuthError(400, 'invalid_scope', 'the only client_credentials scope is grant_management');
      if (client.dpopBound && !jkt) throw new OAuthError(400, 'invalid_dpop_proof', 'this client must use DPoP');
      const at = await d.tokens.issueManagement(client.id, jkt);
      return {
        access_token: at.token,
        token_type: jkt ? 'DPoP' : 'Bearer',
        expires_in: at.expiresIn,
        scope: 'grant_management',
      };
    },

    /** RFC 7662: active only if the token is ours, the caller's, unrevoked, and its grant is live. */
    async introspect(client: ClientView, token: string) {
      const claims = await d.tokens.tryVerify(token);
      if (claims) {
        if (
          claims.client_id !== client.id ||
          claims.exp <= ctx.clock.now().getTime() / 1000 ||
          d.store.isJtiRevoked(claims.jti)
        )
          return { active: false };
        if (claims.fam && d.store.family(claims.fam)?.revokedAt) return { active: false };
        if (claims.grant_id) {
          const g = d.grants.store.byId(claims.grant_id);
          if (!g || d.grants.refresh(g).status !== 'active') return { active: false };
        }
        const { iss, sub, aud, exp, iat, jti, scope, client_id, grant_id, authorization_details, cnf } = claims;
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
      const row = d.store.refresh(sha256hex(token));
      const family = row ? d.store.family(row.familyId) : undefined;
      if (
        !row ||
        !family ||
        family.companyId !== client.id ||
        row.usedAt ||
        family.revokedAt ||
        row.expiresAt <= nowIso()
      )
        return { active: false };
      const g = d.grants.store.byId(family.grantId);
      if (!g || d.grants.refresh(g).status !== 'active') return { active: false };
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
          inTransaction(ctx.db, () => {
            d.store.revokeJti(claims.jti, new Date(claims.exp * 1000).toISOString());
            d.audit({
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
      const row = d.store.refresh(sha256hex(token));
      const family = row ? d.store.family(row.familyId) : undefined;
      if (family && family.companyId === client.id)
        revokeFamily(family.id, family.grantId, client.id, 'revoked by the client');
    },
  };
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>;
