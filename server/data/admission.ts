import type { AuditAppend } from '../audit/chain/append.ts';
import type { NewAuditEvent } from '../audit/chain/event.ts';
import type { AppContext } from '../context.ts';
import type { Grant } from '../grants/service.ts';
import { OutsideGrant, PolicyDenied, TooManyRequests, VaultError } from '../http/errors.ts';
import type { AccessClaims } from '../oauth/tokens.ts';
import { reasonsForAudit, reasonsForCompany, SUSPENDED_FOR_COMPANY } from '../policy/index.ts';
import type { Decision } from '../policy/types.ts';
import { refusalOf, type GrantCheck, type GrantRefusal, type Use } from './grant-check.ts';
import { REFUSALS_PER_WINDOW, type RefusalLimit, type RefusalState } from './refusal-limit.ts';

export interface DataRequest {
  claims: AccessClaims;
  scheme: 'Bearer' | 'DPoP';
  handle: string;
  requestId: string;
}

/** What a unit of audited work ends in: data to send, or a refusal (audited where the trail needs it). */
export type Outcome<T> = { value: T } | { refused: VaultError };

const TOO_MANY = `More than ${REFUSALS_PER_WINDOW} refused requests in one minute: the data API refuses this company's requests until the minute ends.`;
const SUSPENDED = { code: 'GRANT_SUSPENDED', message: 'The grant is suspended.' };

/** The audit event of one use of a grant by its company: who, whose data, which grant and purpose, which request. */
export function dataEvent(
  action: 'data.read' | 'data.claim' | 'data.deposit' | 'data.denied',
  g: Grant,
  r: DataRequest,
  rest: Omit<NewAuditEvent, 'action' | 'actor' | 'customerId' | 'companyId' | 'grantId' | 'purpose' | 'requestId'>,
): NewAuditEvent {
  return {
    action,
    actor: { kind: 'company', id: g.companyId },
    customerId: g.customerId,
    companyId: g.companyId,
    grantId: g.id,
    purpose: g.purpose,
    requestId: r.requestId,
    ...rest,
  };
}

/** The audit event of a record use refused before its grant was found live: the token's own ids only. */
function tokenRefusalEvent(r: DataRequest, e: VaultError): NewAuditEvent {
  const c = r.claims;
  const reason =
    e.status === 404
      ? { code: 'NOT_THIS_CUSTOMER', message: 'The grant is not for the customer this request names.' }
      : { code: 'GRANT_NOT_LIVE', message: 'The grant or its token is no longer live (revoked, expired or unknown).' };
  return {
    action: 'data.denied',
    actor: { kind: 'company', id: c.client_id },
    customerId: c.sub,
    companyId: c.client_id,
    ...(c.grant_id ? { grantId: c.grant_id } : {}),
    decision: 'deny',
    reasons: [reason],
    requestId: r.requestId,
  };
}

/**
 * Whether a company request gets as far as the policy: the refusal limit, then the token and grant state,
 * then the grant's own limits. Every refusal counts against the company's limit and is audited in the
 * request's unit (ARCHITECTURE.md, "The audited unit and group commit"), except the throttled ones
 * beyond the first of a window, which would bury the customer's activity.
 */
export function createAdmission(
  ctx: AppContext,
  d: {
    audit: AuditAppend;
    refusals: RefusalLimit;
    grantCheck: GrantCheck;
  },
) {
  /** A company over its refusal limit gets a 429; the first one of the window is audited, the rest are not. */
  async function throttled(r: DataRequest, now: Date): Promise<Outcome<never> | undefined> {
    return throttledAs(r, await d.refusals.check(r.claims.client_id, now));
  }

  async function throttledAs(r: DataRequest, state: RefusalState): Promise<Outcome<never> | undefined> {
    const c = r.claims;
    if (!state.over) return undefined;
    if (state.first)
      await d.audit({
        action: 'data.throttled',
        actor: { kind: 'company', id: c.client_id },
        customerId: c.sub,
        companyId: c.client_id,
        grantId: c.grant_id,
        decision: 'deny',
        reasons: [{ code: 'TOO_MANY_REFUSALS', message: TOO_MANY }],
        requestId: r.requestId,
        detail: { limit: REFUSALS_PER_WINDOW, windowStart: state.windowStart, windowEnd: state.windowEnd },
      });
    return { refused: new TooManyRequests(TOO_MANY, state.retryAfterSeconds) };
  }

  /**
   * Every refusal counts against the company's limit, in the unit that refuses and before it is audited: one
   * that finds the window already full (other units in flight counted first) is answered as throttled instead.
   */
  async function counted(r: DataRequest, now: Date): Promise<Outcome<never> | undefined> {
    return throttledAs(r, await d.refusals.record(r.claims.client_id, now));
  }

  /**
   * Audits a denial in the unit's savepoint and returns the refusal to send once it is durable. `outside`: the grant
   * itself does not cover the use (OutsideGrant: insufficient_scope), rather than the policy or the grant's state.
   */
  async function denied(
    g: Grant,
    r: DataRequest,
    now: Date,
    fields: string[],
    why: { reasons: Decision['reasons']; policyVersion: string; audited?: GrantRefusal[] },
    message: string,
    outside = false,
  ): Promise<Outcome<never>> {
    const over = await counted(r, now);
    if (over) return over;
    await d.audit(
      dataEvent('data.denied', g, r, {
        fields,
        decision: 'deny',
        reasons: why.audited ?? reasonsForAudit(why.reasons),
        policyVersion: why.policyVersion,
      }),
    );
    const extras = { reasons: reasonsForCompany(why.reasons), policyVersion: why.policyVersion };
    return { refused: outside ? new OutsideGrant(message, extras, r.scheme) : new PolicyDenied(message, extras) };
  }

  /** The grant's own refusal of this use (action, fields, category), audited; the policy is not asked. */
  async function outsideGrant(g: Grant, r: DataRequest, now: Date, use: Use): Promise<Outcome<never> | undefined> {
    const no = refusalOf(g, use);
    if (!no) return undefined;
    const reasons = [{ ...no, source: 'platform' as const, effect: 'deny' as const }];
    return denied(g, r, now, use.fields, { reasons, policyVersion: ctx.policies.version }, no.message, true);
  }

  /**
   * The checks every use shares, in order: the token's revocation (refused before anything is counted or audited,
   * as the authenticator of every other API refuses it), refusal limit, token and grant state, the grant's own
   * limits.
   */
  async function admit(r: DataRequest, now: Date, use: Use): Promise<Grant | Outcome<never>> {
    const token = await d.grantCheck.revoked(r.claims, r.scheme);
    if (token instanceof VaultError) return { refused: token };
    const limited = await throttled(r, now);
    if (limited) return limited;
    const g = await d.grantCheck.liveGrant(r.claims, r.scheme, r.handle, token);
    if (g instanceof VaultError) {
      // Record uses audit every refusal, a grant that is no longer live (a blocked company's) included (issue 15).
      const over = await counted(r, now);
      if (over) return over;
      if (use.auditTokenRefusal) await d.audit(tokenRefusalEvent(r, g));
      return { refused: g };
    }
    if (g.status === 'suspended') {
      // The suspension's own reason may quote the customer's criteria: the company and the audit trail get
      // fixed sentences (the customer sees the full reason in the dashboard).
      const reasons = [
        { code: SUSPENDED.code, message: SUSPENDED_FOR_COMPANY, source: 'platform' as const, effect: 'deny' as const },
      ];
      const why = { reasons, policyVersion: ctx.policies.version, audited: [SUSPENDED] };
      return denied(g, r, now, use.fields, why, SUSPENDED_FOR_COMPANY);
    }
    return (await outsideGrant(g, r, now, use)) ?? g;
  }

  return { admit, denied };
}
