import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import type { Decide } from '../grants/decide.ts';
import type { Grants } from '../grants/service.ts';
import type { ReturnLink } from '../http/error-page.ts';
import { Conflict, NotFound, OAuthError, PolicyDenied, TermsChanged } from '../http/errors.ts';
import type { Action, Decision } from '../policy/types.ts';
import { codesForCompany, purposeOf, reasonsForAudit, reasonsForCompany } from '../policy/index.ts';
import { parseAuthorizationDetails, parseScope, type AccessRequest } from './details.ts';
import { withinAccess } from './record-access.ts';
import {
  redirectWith,
  UnredirectableError,
  validateAuthorizationParams,
  type ClientView,
  type ValidatedRequest,
} from './request-params.ts';
import { sha256hex, newOpaque } from './tokens.ts';
import type { RequestLimits } from './request-limits.ts';
import type { AuthRequestRow, OAuthStore } from './store.ts';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
const PAR_TTL_S = 90;
const CONSENT_TTL_S = 600;
const CODE_TTL_S = 60;
const COLLECT_TTL_S = 120;
/** The longest a back-channel request can live: answered at the last moment, then collected (see approve). */
export const BACKCHANNEL_MAX_LIFE_S = CONSENT_TTL_S + COLLECT_TTL_S;
/** How long a request waits, from its creation, for a signed-out customer to sign in or create a vault. */
export const SIGNIN_TTL_S = 1800;

/** What a connected product gets by default: deposit, when it asked for it (else what it asked). */
const depositOnly = (r: AccessRequest): Action[] => (r.actions.includes('deposit') ? ['deposit'] : r.actions);

export interface ClientDirectory {
  byId(id: string): Promise<ClientView | undefined>;
}

export interface AuthorizeOutcome {
  redirect: string;
}

/** Plain words for a person whose browser followed a company's link that no longer works. */
const LINK_PROBLEMS = {
  unknown: 'This link to the vault is not valid. Go back to the company and start again.',
  expired: 'This request has expired: it waited too long. Go back to the company and start again.',
  used: 'This request was already answered, so the link cannot be used again. Go back to the company to continue.',
};
const requestLinkError = (kind: keyof typeof LINK_PROBLEMS) =>
  new UnredirectableError(400, 'invalid_request_uri', LINK_PROBLEMS[kind]);

/**
 * The front channel: PAR (RFC 9126), /authorize, and the customer's consent. Decisions are made when
 * the request arrives (platform rules, then the customer's criteria once we know who they are) and
 * again when the customer approves, so nobody can approve beyond the platform's limits (ARCHITECTURE.md, "Where policy decisions happen").
 */
export function createAuthorization(
  ctx: AppContext,
  d: {
    store: OAuthStore;
    clients: ClientDirectory;
    grants: Grants;
    decide: Decide;
    audit: AuditAppend;
    limits: RequestLimits;
    /** A request refused for the customer before they saw it (their inbox says so); in the same transaction. */
    onRefused?: (
      customerId: string,
      companyId: string,
      request: AccessRequest,
      decision: Decision,
    ) => void | Promise<void>;
  },
) {
  const issuer = ctx.config.publicUrl;
  const nowIso = (plusS = 0) => new Date(ctx.clock.now().getTime() + plusS * 1000).toISOString();

  /** Stores a validated front-channel request, waiting for the browser (PAR, or /authorize without it). */
  async function insertFrontRequest(client: ClientView, v: ValidatedRequest, ttlS: number): Promise<string> {
    const id = randomBytes(24).toString('base64url');
    await d.store.insertRequest({
      id,
      companyId: client.id,
      mode: 'front',
      redirectUri: v.redirectUri,
      redirectUriGiven: v.redirectUriGiven,
      state: v.state,
      codeChallenge: v.codeChallenge,
      details: JSON.stringify(v.request),
      status: 'pushed',
      createdAt: nowIso(),
      expiresAt: nowIso(ttlS),
    });
    return id;
  }
  const details = (row: AuthRequestRow) => JSON.parse(row.details) as AccessRequest;
  // The trail names a purpose only from the registry: an unregistered one is text the company typed.
  const registered = (purpose: string) => (purposeOf(ctx.policies, purpose) ? purpose : undefined);
  const secondsUntil = (iso: string) => Math.max(1, Math.ceil((Date.parse(iso) - ctx.clock.now().getTime()) / 1000));

  async function recordDenial(
    row: AuthRequestRow,
    decision: Decision,
    customerId: string,
    requestId?: string,
  ): Promise<void> {
    await ctx.backend.inTransaction(async () => {
      await d.store.updateRequest(row.id, { status: 'denied', decision: JSON.stringify(decision) });
      const r = details(row);
      await d.audit({
        action: 'grant.denied',
        actor: { kind: decision.allow ? 'customer' : 'system', id: decision.allow ? customerId : 'policy' },
        customerId,
        companyId: row.companyId,
        purpose: registered(r.purpose),
        fields: r.fields,
        decision: 'deny',
        reasons: reasonsForAudit(decision.reasons),
        policyVersion: decision.policyVersion,
        requestId,
      });
      if (!decision.allow) await d.onRefused?.(customerId, row.companyId, r, decision);
    });
  }

  async function deniedRedirect(
    row: AuthRequestRow,
    decision: Decision,
    customerId: string,
    requestId?: string,
  ): Promise<string> {
    await recordDenial(row, decision, customerId, requestId);
    // The redirect is read by the company: customer-sourced reasons show only as CUSTOMER_CRITERIA.
    const codes = codesForCompany(decision.reasons);
    return redirectWith(row.redirectUri!, {
      error: 'access_denied',
      error_description: codes ? `refused by policy: ${codes}` : 'the customer denied the request',
      state: row.state ?? undefined,
      iss: issuer,
    });
  }

  /**
   * Approval: re-decide at stage 'approve', create the grant, issue a one-time code, in one transaction.
   * Returns the front-channel redirect with the code, or undefined for a back-channel request. A customer's
   * approval names the terms version they were shown (`shownTerms`); auto-approval has none.
   */
  async function approve(
    row: AuthRequestRow,
    customerId: string,
    request: AccessRequest,
    auto: boolean,
    requestId?: string,
    shownTerms?: number,
  ): Promise<string | undefined> {
    const decision = await d.decide('approve', { customerId, companyId: row.companyId, request });
    if (!decision.allow)
      throw new PolicyDenied('The policy does not allow this grant', {
        reasons: decision.reasons,
        policyVersion: decision.policyVersion,
      });
    const code = newOpaque('ac_');
    await ctx.backend.inTransaction(async () => {
      if (!(await d.store.transitionRequest(row.id, 'pending', { status: 'approved' })))
        throw new Conflict('This request was already decided');
      const client = await d.clients.byId(row.companyId);
      if (client?.status !== 'active')
        throw new Conflict('The company that asked has been disabled; this request is closed');
      // The grant is made under the terms the customer saw, or not at all: checked here, in the transaction
      // that creates it, so a terms update cannot slip in between (SECURITY.md "Consent").
      if (shownTerms !== undefined && shownTerms !== client.termsVersion)
        throw new TermsChanged(
          `${client.name} changed its terms (now version ${client.termsVersion}) after you were shown version ${shownTerms}. Review the new terms and decide again.`,
          { termsVersion: client.termsVersion },
        );
      const grant = await d.grants.create(
        {
          customerId,
          companyId: row.companyId,
          purpose: request.purpose,
          fields: request.fields,
          actions: request.actions,
          ...(request.claims ? { claims: request.claims } : {}),
          durationDays: request.durationDays,
          records: request.records,
          termsVersion: client.termsVersion,
          policyVersion: decision.policyVersion,
          autoApproved: auto,
        },
        auto ? { kind: 'system', id: 'auto-approve' } : { kind: 'customer', id: customerId },
        requestId,
      );
      // A back-channel approval stays collectable for COLLECT_TTL_S at least, even if the customer answered
      // just before the request's own deadline (the company polls every few seconds).
      const collectFrom = nowIso(COLLECT_TTL_S);
      // A device (RFC 8628) polls like a back-channel client: the same grace to collect.
      const polled = row.mode !== 'front';
      const collectBy = polled && collectFrom > row.expiresAt ? collectFrom : row.expiresAt;
      await d.store.updateRequest(row.id, {
        grantId: grant.id,
        decision: JSON.stringify(decision),
        expiresAt: collectBy,
      });
      if (polled) return;
      await d.store.insertCode({
        codeHash: sha256hex(code),
        requestId: row.id,
        grantId: grant.id,
        customerId: grant.customerId,
        companyId: row.companyId,
        redirectUri: row.redirectUri!,
        codeChallenge: row.codeChallenge!,
        familyId: randomUUID(),
        expiresAt: nowIso(CODE_TTL_S),
      });
    });
    return row.mode !== 'front'
      ? undefined
      : redirectWith(row.redirectUri!, { code, state: row.state ?? undefined, iss: issuer });
  }

  async function pendingFor(customerId: string, id: string): Promise<AuthRequestRow> {
    const row = await d.store.requestForCustomer(customerId, id);
    if (!row) throw new NotFound('No such request');
    if (row.status === 'pending' && row.expiresAt <= nowIso()) {
      await d.store.updateRequest(id, { status: 'expired' });
      // A front-channel customer came from the company's site: the dashboard links back to it.
      const back = row.mode === 'front' ? await returnLink(row.companyId, row.redirectUri) : undefined;
      throw new Conflict('This request has expired; start again from the company', back ? { returnTo: back } : {});
    }
    return row;
  }

  /** The company's site as far as the vault knows it: the origin of its (registered) redirect URI. */
  async function returnLink(companyId: string, redirectUri?: string | null): Promise<ReturnLink | undefined> {
    const client = await d.clients.byId(companyId);
    const uri = redirectUri && client?.redirectUris.includes(redirectUri) ? redirectUri : client?.redirectUris[0];
    if (!client || client.status !== 'active' || !uri) return undefined;
    return { name: client.name, href: new URL(uri).origin + '/' };
  }

  return {
    /**
     * Where a browser sent here by a company can go back to when its link does not work (unknown client:
     * none). The request's own redirect URI when the link names one, else the company's registered one.
     */
    async returnLinkFor(query: Record<string, unknown>): Promise<ReturnLink | undefined> {
      const clientId = typeof query.client_id === 'string' ? query.client_id : '';
      const uri = typeof query.request_uri === 'string' ? query.request_uri : '';
      const row = uri.startsWith(REQUEST_URI_PREFIX)
        ? await d.store.request(uri.slice(REQUEST_URI_PREFIX.length))
        : undefined;
      const redirect = row?.companyId === clientId ? row.redirectUri : query.redirect_uri;
      return clientId ? returnLink(clientId, typeof redirect === 'string' ? redirect : undefined) : undefined;
    },

    /** RFC 9126 §2: store the validated request, answer with a one-time request_uri. */
    async push(client: ClientView, params: Record<string, unknown>) {
      if (params.request_uri !== undefined)
        throw new OAuthError(400, 'invalid_request', 'request_uri is not allowed in a pushed request');
      await d.limits.par(client.id);
      const v = validateAuthorizationParams(client, params);
      const platform = await d.decide('request', { companyId: client.id, request: v.request });
      if (!platform.allow)
        throw new PolicyDenied('The platform policy refuses this request', {
          error: 'access_denied',
          reasons: reasonsForCompany(platform.reasons),
          policyVersion: platform.policyVersion,
        });
      const id = await insertFrontRequest(client, v, PAR_TTL_S);
      return { request_uri: REQUEST_URI_PREFIX + id, expires_in: PAR_TTL_S };
    },

    /** GET /authorize. Returns where to send the browser. */
    async authorize(
      query: Record<string, unknown>,
      customerId: string | undefined,
      requestId?: string,
    ): Promise<AuthorizeOutcome> {
      const clientId = typeof query.client_id === 'string' ? query.client_id : '';
      const client = await d.clients.byId(clientId);
      if (!client || client.status !== 'active')
        throw new UnredirectableError(
          400,
          'invalid_client',
          'The company that sent you here is unknown to the vault or no longer uses it (unknown or disabled client_id).',
        );
      let row: AuthRequestRow | undefined;
      if (typeof query.request_uri === 'string') {
        const id = query.request_uri.startsWith(REQUEST_URI_PREFIX)
          ? query.request_uri.slice(REQUEST_URI_PREFIX.length)
          : '';
        row = id ? await d.store.request(id) : undefined;
        if (!row || row.companyId !== client.id) throw requestLinkError('unknown');
        // RFC 9126 §4 allows a reload: the same customer's browser goes back to the consent screen.
        const live = row.expiresAt > nowIso();
        if (row.status === 'pending' && customerId && row.customerId === customerId && live)
          return { redirect: `/consent?request=${encodeURIComponent(row.id)}` };
        if (row.status === 'expired' || (!live && (row.status === 'pushed' || row.status === 'pending')))
          throw requestLinkError('expired');
        if (row.status !== 'pushed') throw requestLinkError('used');
      } else {
        let v;
        try {
          v = validateAuthorizationParams(client, query);
        } catch (e) {
          if (e instanceof UnredirectableError || !(e instanceof OAuthError)) throw e;
          const redirect = client.redirectUris.includes(String(query.redirect_uri))
            ? String(query.redirect_uri)
            : undefined;
          if (!redirect) throw e;
          return {
            redirect: redirectWith(redirect, {
              error: e.error,
              error_description: e.detail,
              state: typeof query.state === 'string' ? query.state : undefined,
              iss: issuer,
            }),
          };
        }
        await d.limits.authorizeWithoutPar(client.id);
        const id = await insertFrontRequest(client, v, CONSENT_TTL_S);
        row = (await d.store.request(id))!;
      }
      if (!customerId) {
        // Signing in or creating a vault may take minutes: the request waits SIGNIN_TTL_S from its creation
        // (a PAR request_uri alone lives PAR_TTL_S), counted once, so reloading the link never extends it.
        const until = new Date(Date.parse(row.createdAt) + SIGNIN_TTL_S * 1000).toISOString();
        if (until > row.expiresAt) await d.store.transitionRequest(row.id, 'pushed', { expiresAt: until });
        const next = `/authorize?client_id=${encodeURIComponent(client.id)}&request_uri=${encodeURIComponent(REQUEST_URI_PREFIX + row.id)}`;
        return { redirect: `/signin?next=${encodeURIComponent(next)}` };
      }
      await d.limits.authorizeByCustomer(customerId);
      if (
        !(await d.store.transitionRequest(row.id, 'pushed', {
          status: 'pending',
          customerId,
          expiresAt: nowIso(CONSENT_TTL_S),
        }))
      )
        throw requestLinkError('used');
      row = (await d.store.request(row.id))!;
      const decision = await d.decide('request', { customerId, companyId: client.id, request: details(row) });
      if (!decision.allow) return { redirect: await deniedRedirect(row, decision, customerId, requestId) };
      if (decision.autoApprove) return { redirect: (await approve(row, customerId, details(row), true, requestId))! };
      return { redirect: `/consent?request=${encodeURIComponent(row.id)}` };
    },

    /**
     * A back-channel request (after OpenID CIBA, poll mode) for a company that does not have the customer
     * in front of it: addressed to the vault handle, decided against the platform and the customer's
     * criteria at once (a refused or blocked company never reaches the customer), auto-approved when a
     * rule matches, otherwise left pending in the customer's dashboard.
     */
    async backchannel(
      client: ClientView,
      params: Record<string, unknown>,
      customerIdOfHandle: (h: string) => Promise<string | undefined>,
      notify: (customerId: string, row: AuthRequestRow) => void | Promise<void>,
      requestId?: string,
    ) {
      await d.limits.backchannelByCompany(client.id);
      const handle = typeof params.login_hint === 'string' ? params.login_hint : '';
      const customerId = await customerIdOfHandle(handle);
      if (!customerId)
        throw new OAuthError(400, 'unknown_user_id', 'login_hint must be the vault handle of a customer');
      await d.limits.backchannelToCustomer(client.id, customerId);
      let request: AccessRequest;
      if (typeof params.authorization_details === 'string')
        request = parseAuthorizationDetails(params.authorization_details);
      else if (typeof params.scope === 'string') request = parseScope(params.scope);
      else
        throw new OAuthError(400, 'invalid_request', 'authorization_details (type customer_data) or scope is required');
      const decision = await d.decide('request', { customerId, companyId: client.id, request });
      if (!decision.allow) {
        const reasons = decision.reasons.filter((r) => r.effect !== 'require-approval');
        await ctx.backend.inTransaction(async () => {
          await d.audit({
            action: 'grant.denied',
            actor: { kind: 'system', id: 'policy' },
            customerId,
            companyId: client.id,
            purpose: registered(request.purpose),
            fields: request.fields,
            decision: 'deny',
            reasons: reasonsForAudit(reasons),
            policyVersion: decision.policyVersion,
            requestId,
          });
          await d.onRefused?.(customerId, client.id, request, decision);
        });
        throw new PolicyDenied('The request is refused', {
          error: 'access_denied',
          reasons: reasonsForCompany(reasons),
          policyVersion: decision.policyVersion,
        });
      }
      // A repeat of a request still waiting gets that request back: one row, one inbox message.
      const same = decision.autoApprove ? undefined : await d.limits.admitPending(client.id, customerId, request);
      if (same) return { auth_req_id: same.id, expires_in: secondsUntil(same.expiresAt), interval: 5 };
      const id = randomBytes(24).toString('base64url');
      await d.store.insertRequest({
        id,
        companyId: client.id,
        mode: 'backchannel',
        details: JSON.stringify(request),
        customerId,
        status: 'pending',
        createdAt: nowIso(),
        expiresAt: nowIso(CONSENT_TTL_S),
      });
      const row = (await d.store.request(id))!;
      if (decision.autoApprove) await approve(row, customerId, request, true, requestId);
      else await notify(customerId, row);
      return { auth_req_id: id, expires_in: CONSENT_TTL_S, interval: 5 };
    },

    /**
     * The polling side of a back-channel request (CIBA §10.1): pending, denied, expired, or the approved
     * grant with `consume`, which the token endpoint calls (in the transaction that creates the token
     * family) only once its own checks have passed, so a refused poll does not use the approval up.
     */
    async backchannelOutcome(
      client: ClientView,
      authReqId: string,
    ): Promise<{ grantId: string; consume: () => Promise<boolean> }> {
      const row = authReqId ? await d.store.request(authReqId) : undefined;
      if (!row || row.mode !== 'backchannel' || row.companyId !== client.id)
        throw new OAuthError(400, 'invalid_grant', 'auth_req_id is not valid');
      if (row.status === 'denied') throw new OAuthError(400, 'access_denied', 'the customer denied the request');
      if (row.status === 'consumed') throw new OAuthError(400, 'invalid_grant', 'auth_req_id was already used');
      if (row.expiresAt <= nowIso())
        throw new OAuthError(400, 'expired_token', 'the request expired before its tokens were collected');
      if (row.status === 'pending')
        throw new OAuthError(400, 'authorization_pending', 'the customer has not answered yet');
      if (row.status !== 'approved' || !row.grantId)
        throw new OAuthError(400, 'invalid_grant', 'auth_req_id is not valid');
      return {
        grantId: row.grantId,
        consume: () => d.store.transitionRequest(row.id, 'approved', { status: 'consumed' }),
      };
    },

    pendingFor,
    details,

    /**
     * A device request (RFC 8628 §3.3) becomes the customer's when they enter its user code, and is then
     * decided as any request is (platform policy, their criteria, auto-approval, deposit only). Undefined
     * when another customer claimed it first.
     */
    async claimDevice(
      row: AuthRequestRow,
      customerId: string,
      requestId?: string,
    ): Promise<'pending' | 'denied' | 'approved' | undefined> {
      await d.limits.authorizeByCustomer(customerId);
      if (!(await d.store.transitionRequest(row.id, 'pushed', { status: 'pending', customerId }))) return undefined;
      const claimed = (await d.store.request(row.id))!;
      const request = details(claimed);
      const decision = await d.decide('request', { customerId, companyId: row.companyId, request });
      if (!decision.allow) return (await recordDenial(claimed, decision, customerId, requestId), 'denied');
      if (!decision.autoApprove) return 'pending';
      await approve(claimed, customerId, { ...request, actions: depositOnly(request) }, true, requestId);
      return 'approved';
    },

    /** The customer's decision on the consent screen: approve all, approve fewer fields or a shorter time, or deny. */
    async decide(
      customerId: string,
      id: string,
      input:
        | {
            decision: 'approve';
            termsVersion: number;
            fields?: string[];
            claims?: string[];
            durationDays?: number;
            actions?: Action[];
            records?: { window?: string; sources?: 'any' | string[] };
          }
        | { decision: 'deny' },
      requestId?: string,
    ): Promise<{ redirectTo?: string }> {
      const row = await pendingFor(customerId, id);
      if (row.status !== 'pending') throw new Conflict(`This request is already ${row.status}`);
      const asked = details(row);
      if (input.decision === 'deny') {
        const decision: Decision = {
          allow: true,
          reasons: [],
          policyVersion: ctx.policies.version,
          autoApprove: false,
        };
        if (row.mode !== 'front') return (void (await recordDenial(row, decision, customerId, requestId)), {});
        return { redirectTo: await deniedRedirect(row, decision, customerId, requestId) };
      }
      const fields = input.fields ?? asked.fields;
      // The customer may untick claims as they untick fields (by name: a request asks each claim once), never
      // add one; at least one field or claim must remain, or the approval would grant nothing.
      const claims = input.claims ? asked.claims?.filter((c) => input.claims!.includes(c.name)) : asked.claims;
      if (input.claims && !input.claims.every((n) => asked.claims?.some((c) => c.name === n)))
        throw new PolicyDenied('You can approve only claims that were asked for', { reasons: [] });
      if ((fields.length === 0 && !claims?.length) || !fields.every((f) => asked.fields.includes(f)))
        throw new PolicyDenied('You can approve only fields and claims that were asked for, and at least one', {
          reasons: [],
        });
      const durationDays = input.durationDays ?? asked.durationDays;
      if (durationDays > asked.durationDays)
        throw new PolicyDenied(`You can approve at most the ${asked.durationDays} days that were asked for`, {
          reasons: [],
        });
      // The customer may also keep fewer actions (deposit only, say): never one that was not asked for.
      // A connected product deposits only, unless the customer ticks more (SECURITY.md "Connected products").
      const actions = input.actions
        ? [...new Set(input.actions)]
        : row.mode === 'device'
          ? depositOnly(asked)
          : asked.actions;
      if (!actions.every((a) => asked.actions.includes(a)))
        throw new PolicyDenied('You can approve only actions that were asked for', { reasons: [] });
      // Records: the customer may shorten the window and choose fewer sources, never widen either.
      const records = asked.records && input.records ? { ...asked.records, ...input.records } : asked.records;
      if (records && !withinAccess(records, asked.records!))
        throw new PolicyDenied('You can approve only a shorter window and fewer sources than were asked for', {
          reasons: [],
        });
      const narrowed: AccessRequest = { ...asked, fields, durationDays, actions, ...(records ? { records } : {}) };
      if (claims?.length) narrowed.claims = claims;
      else delete narrowed.claims;
      const redirectTo = await approve(row, customerId, narrowed, false, requestId, input.termsVersion);
      return redirectTo ? { redirectTo } : {};
    },
  };
}

export type Authorization = ReturnType<typeof createAuthorization>;
