import type { AuditAppend } from '../../audit/chain/append.ts';
import type { AppContext } from '../../context.ts';
import type { GroupCommit } from '../../db/group-commit.ts';
import type { Grants } from '../../grants/service.ts';
import { OAuthError } from '../../http/errors.ts';
import { toScope, type AccessRequest } from '../details.ts';
import type { ClientView } from '../request-params.ts';
import type { OAuthStore } from '../store.ts';
import { newOpaque, sha256hex, type TokenService } from '../tokens.ts';

export const invalidGrant = (msg: string) => new OAuthError(400, 'invalid_grant', msg);

export interface GrantDeps {
  store: OAuthStore;
  grants: Grants;
  tokens: TokenService;
  audit: AuditAppend;
  /** The group commit: token writes share its batches and WAL fsync (without it, one FULL commit each). */
  commit?: GroupCommit;
}

/** One grant type at the token endpoint: the authenticated client, the form parameters, the DPoP key if any. */
export type GrantHandler = (client: ClientView, params: Record<string, unknown>, jkt: string | null) => Promise<object>;

/**
 * What the grant types share: the customer's grant re-checked before anything is issued, token families
 * opened and revoked as a whole (RFC 9700 §4.14.2), and the access + refresh token pair.
 */
export function createTokenFamilies(ctx: AppContext, d: GrantDeps) {
  const nowIso = () => ctx.clock.now().toISOString();

  /** A reused code or refresh token revokes the family it belongs to (of its customer only), audited once. */
  async function revokeFamily(
    family: { id: string; customerId: string; grantId: string },
    companyId: string,
    reason: string,
  ) {
    const { grantId } = family;
    await ctx.backend.inTransaction(async () => {
      if ((await d.store.revokeFamily(family.id, family.customerId, nowIso(), reason)) > 0) {
        await d.audit({
          action: 'token.revoked',
          actor: { kind: 'system', id: 'token-endpoint' },
          companyId,
          grantId,
          detail: { reason },
        });
      }
    });
  }

  async function activeGrant(grantId: string) {
    const g = await d.grants.store.byId(grantId);
    if (!g) throw invalidGrant('the grant no longer exists');
    const fresh = await d.grants.refresh(g);
    if (fresh.status !== 'active') throw invalidGrant(`the grant is ${fresh.status}`);
    return fresh;
  }

  /** Opens a token family once `claim` (the one-time use of a code or auth_req_id) succeeds, atomically. */
  async function openFamily(
    f: { id: string; grantId: string; customerId: string; companyId: string; jkt: string | null },
    claim: () => Promise<boolean>,
    used: string,
  ) {
    await ctx.backend.inTransaction(async () => {
      if (!(await claim())) throw invalidGrant(used);
      await d.store.insertFamily({
        id: f.id,
        grantId: f.grantId,
        customerId: f.customerId,
        companyId: f.companyId,
        dpopJkt: f.jkt,
        createdAt: nowIso(),
      });
    });
  }

  /**
   * Runs a synchronous write and resolves once it is durable: in the group commit's next batch when there is
   * one (ARCHITECTURE.md, "The audited unit and group commit"), else in its own FULL transaction.
   */
  const durably = <T>(fn: () => T): Promise<T> =>
    d.commit ? d.commit.submit(fn) : ctx.backend.inTransaction(async () => fn());

  /**
   * The access and refresh token pair. `claim` (a refresh token's one-time use) runs in the same unit as
   * the new refresh token's insert, so rotation is atomic, and both are durable before the answer; the
   * access token is signed meanwhile (a pair whose claim fails is dropped unseen). `asked`: the scope a refresh
   * request named, which must be within the grant's (RFC 6749 §6), checked before anything is claimed.
   */
  async function issuePair(
    client: ClientView,
    grantId: string,
    familyId: string,
    jkt: string | null,
    claim?: () => void | Promise<void>,
    asked?: string,
  ) {
    const g = await activeGrant(grantId);
    const request: AccessRequest = {
      purpose: g.purpose,
      fields: JSON.parse(g.fields),
      actions: JSON.parse(g.actions),
      durationDays: Math.max(1, Math.ceil((Date.parse(g.expiresAt) - ctx.clock.now().getTime()) / 86_400_000)),
      ...(g.records ? { records: JSON.parse(g.records) } : {}),
      ...(g.claims ? { claims: JSON.parse(g.claims) } : {}),
    };
    if (asked !== undefined) withinGrant(asked, request);
    // A client registered with a product_name is a connected product (RFC 8628): every token it gets, first or
    // refreshed, names it as the device, so its deposits say "from your toothbrush, by Brushco".
    const deviceId = client.productName ? client.id : undefined;
    const refresh = newOpaque('rt_');
    const row = {
      tokenHash: sha256hex(refresh),
      familyId,
      customerId: g.customerId,
      createdAt: nowIso(),
      expiresAt: g.expiresAt,
    };
    const [, at] = await Promise.all([
      durably(async () => {
        await claim?.();
        await d.store.insertRefresh(row);
      }),
      d.tokens.issueAccess({
        companyId: client.id,
        customerId: g.customerId,
        grantId,
        familyId,
        request,
        jkt,
        deviceId,
      }),
    ]);
    return {
      access_token: at.token,
      token_type: tokenType(jkt),
      expires_in: at.expiresIn,
      refresh_token: refresh,
      scope: at.claims.scope,
      // The access token's own claim: the same value, built once.
      authorization_details: at.claims.authorization_details,
      grant_id: grantId,
    };
  }

  return { nowIso, revokeFamily, activeGrant, openFamily, issuePair };
}

/**
 * RFC 6749 §6: a refresh request's scope "MUST NOT include any scope not originally granted", else invalid_scope
 * (§5.2). A narrower scope gets the grant's tokens all the same, and the answer's `scope` says so (§5.1): the grant,
 * not the token, is what the data API checks. A `duration:` token is no privilege (the grant's end date is fixed,
 * and the days left shrink), so any is accepted, as the client's original one would be.
 */
function withinGrant(asked: string, request: AccessRequest): void {
  const granted = new Set(toScope(request).split(' '));
  const beyond = asked.split(' ').filter((t) => t !== '' && !t.startsWith('duration:') && !granted.has(t));
  if (beyond.length > 0)
    throw new OAuthError(400, 'invalid_scope', `scope beyond the grant: ${beyond.join(' ').slice(0, 200)}`);
}

/** RFC 9449 §5: a DPoP-bound access token is of type DPoP. */
export const tokenType = (jkt: string | null) => (jkt ? 'DPoP' : 'Bearer');

export type TokenFamilies = ReturnType<typeof createTokenFamilies>;
