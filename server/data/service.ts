import { randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import { sealField } from '../crypto/field-cipher.ts';
import type { Profile } from '../customers/profile.ts';
import type { GroupCommit } from '../db/group-commit.ts';
import type { Decide } from '../grants/decide.ts';
import { durationDaysOf, type Grant, type Grants } from '../grants/service.ts';
import type { UsageCounter } from '../grants/usage.ts';
import { PolicyDenied, TooManyRequests, VaultError } from '../http/errors.ts';
import { categoriesOf } from '../oauth/details.ts';
import type { OAuthStore } from '../oauth/store.ts';
import type { AccessClaims } from '../oauth/tokens.ts';
import type { Category, Decision } from '../policy/types.ts';
import { reasonsForAudit, reasonsForCompany, SUSPENDED_FOR_COMPANY } from '../policy/index.ts';
import { createGrantCheck, refusalOf, type GrantRefusal, type Use } from './grant-check.ts';
import { REFUSALS_PER_WINDOW, type RefusalLimit } from './refusal-limit.ts';

const TOO_MANY = `More than ${REFUSALS_PER_WINDOW} refused requests in one minute: the data API refuses this company's requests until the minute ends.`;

export interface DataRequest {
  claims: AccessClaims;
  scheme: 'Bearer' | 'DPoP';
  handle: string;
  requestId: string;
}

export class AuditUnavailable extends VaultError {
  readonly status = 503;
  readonly slug = 'audit-unavailable';
  readonly title = 'The audit trail cannot record this access, so no data is released';
}

/** What a unit of audited work ends in: data to send, or a refusal (audited where the trail needs it). */
type Outcome<T> = { value: T } | { refused: VaultError };

const SUSPENDED = { code: 'GRANT_SUSPENDED', message: 'The grant is suspended.' };

/**
 * The company-facing resource API. Each request is one unit of the group commit (db/group-commit.ts):
 * one savepoint holds the whole decision (refusal limit, token jti and family, grant row and its
 * actions, policy with the usage budget, decryption, audit append), committed with the other requests
 * of the same turn of the event loop. A refusal commits its audit event and is sent only once that is
 * durable; an exception rolls the unit back. If the append or the commit fails, nothing is sent (fail
 * closed, SECURITY.md "The audit trail").
 */
export function createDataService(
  ctx: AppContext,
  d: {
    commit: GroupCommit;
    grants: Grants;
    profile: Profile;
    oauth: OAuthStore;
    decide: Decide;
    audit: AuditAppend;
    usage: UsageCounter;
    refusals: RefusalLimit;
    customerIdByHandle: (h: string) => string | undefined;
  },
) {
  const liveGrant = createGrantCheck(d);

  /** A company over its refusal limit gets a 429; the first one of the window is audited, the rest are not. */
  function throttled(r: DataRequest, now: Date): Outcome<never> | undefined {
    const c = r.claims;
    const state = d.refusals.check(c.client_id, now);
    if (!state.over) return undefined;
    if (state.first)
      d.audit({
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

  /** Every refusal counts against the company's limit, in the unit that refuses. */
  function refuse(r: DataRequest, e: VaultError, now: Date): Outcome<never> {
    d.refusals.record(r.claims.client_id, now);
    return { refused: e };
  }

  /** Audits a denial in the unit's savepoint and returns the refusal to send once it is durable. */
  function denied(
    g: Grant,
    r: DataRequest,
    now: Date,
    fields: string[],
    why: { reasons: Decision['reasons']; policyVersion: string; audited?: GrantRefusal[] },
    message: string,
  ): Outcome<never> {
    d.audit({
      action: 'data.denied',
      actor: { kind: 'company', id: g.companyId },
      customerId: g.customerId,
      companyId: g.companyId,
      grantId: g.id,
      purpose: g.purpose,
      fields,
      decision: 'deny',
      reasons: why.audited ?? reasonsForAudit(why.reasons),
      policyVersion: why.policyVersion,
      requestId: r.requestId,
    });
    const reasons = reasonsForCompany(why.reasons);
    return refuse(r, new PolicyDenied(message, { reasons, policyVersion: why.policyVersion }), now);
  }

  /** The grant's own refusal of this use (action, fields, category), audited; the policy is not asked. */
  function outsideGrant(g: Grant, r: DataRequest, now: Date, use: Use): Outcome<never> | undefined {
    const no = refusalOf(g, use);
    if (!no) return undefined;
    const reasons = [{ ...no, source: 'platform' as const, effect: 'deny' as const }];
    return denied(g, r, now, use.fields, { reasons, policyVersion: ctx.policies.version }, no.message);
  }

  /** The checks every use shares, in order: refusal limit, token and grant state, the grant's own limits. */
  function admit(r: DataRequest, now: Date, use: Use): Grant | Outcome<never> {
    const limited = throttled(r, now);
    if (limited) return limited;
    const g = liveGrant(r.claims, r.scheme, r.handle);
    if (g instanceof VaultError) return refuse(r, g, now);
    if (g.status === 'suspended') {
      // The suspension's own reason may quote the customer's criteria: the company and the audit trail get
      // fixed sentences (the customer sees the full reason in the dashboard).
      const reasons = [
        { code: SUSPENDED.code, message: SUSPENDED_FOR_COMPANY, source: 'platform' as const, effect: 'deny' as const },
      ];
      const why = { reasons, policyVersion: ctx.policies.version, audited: [SUSPENDED] };
      return denied(g, r, now, use.fields, why, SUSPENDED_FOR_COMPANY);
    }
    return outsideGrant(g, r, now, use) ?? g;
  }

  /** Runs the unit in the group commit and answers only once it is durable; any failure releases nothing. */
  async function audited<T>(fn: () => Outcome<T>): Promise<T> {
    let outcome: Outcome<T>;
    try {
      outcome = await d.commit.submit(fn);
    } catch (e) {
      if (e instanceof VaultError) throw e;
      ctx.logger.error({ err: e }, 'audited transaction failed; no data released');
      throw new AuditUnavailable('The access could not be recorded, so it was refused; try again later');
    }
    if ('refused' in outcome) throw outcome.refused;
    return outcome.value;
  }

  /** The policy's facts for one use: the grant's own actions (what it covers), its purpose and length. */
  const facts = (g: Grant, fields: string[]) => ({
    purpose: g.purpose,
    fields,
    actions: g.actions,
    durationDays: durationDaysOf(g),
  });

  return {
    read(r: DataRequest, wanted?: string[]) {
      return audited(() => {
        const now = ctx.clock.now();
        const asked = wanted && wanted.length ? [...new Set(wanted)] : undefined;
        const g = admit(r, now, { action: 'read', fields: asked ?? [] });
        if (!('id' in g)) return g;
        const fields = asked ?? g.fields;
        const decision = d.decide('read', {
          customerId: g.customerId,
          companyId: g.companyId,
          request: facts(g, fields),
          usage: d.usage.of(g.id, 'read', now),
        });
        if (!decision.allow) return denied(g, r, now, fields, decision, 'The policy refuses this read');
        const values = d.profile.openFields(g.customerId, fields);
        d.usage.record(g.id, 'read', now);
        d.audit({
          action: 'data.read',
          actor: { kind: 'company', id: g.companyId },
          customerId: g.customerId,
          companyId: g.companyId,
          grantId: g.id,
          purpose: g.purpose,
          fields,
          decision: 'allow',
          policyVersion: decision.policyVersion,
          requestId: r.requestId,
        });
        return { value: { grantId: g.id, customer: r.handle, purpose: g.purpose, fields: values } };
      });
    },

    deposit(r: DataRequest, input: { category: Category; content: unknown }) {
      return audited(() => {
        const now = ctx.clock.now();
        const g = admit(r, now, { action: 'deposit', fields: [], category: input.category });
        if (!('id' in g)) return g;
        const decision = d.decide('deposit', {
          customerId: g.customerId,
          companyId: g.companyId,
          request: facts(
            g,
            g.fields.filter((f) => categoriesOf([f])[0] === input.category),
          ),
          usage: d.usage.of(g.id, 'deposit', now),
        });
        if (!decision.allow) return denied(g, r, now, [], decision, 'The policy refuses this deposit');
        const id = randomUUID();
        const sealed = sealField(
          d.profile.dekOf(g.customerId),
          { customerId: g.customerId, field: `record:${id}`, version: 1 },
          input.content,
        );
        d.usage.record(g.id, 'deposit', now);
        d.profile.insertRecord({
          id,
          customerId: g.customerId,
          companyId: g.companyId,
          grantId: g.id,
          category: input.category,
          sealed,
          createdAt: now.toISOString(),
        });
        d.audit({
          action: 'data.deposit',
          actor: { kind: 'company', id: g.companyId },
          customerId: g.customerId,
          companyId: g.companyId,
          grantId: g.id,
          purpose: g.purpose,
          decision: 'allow',
          policyVersion: decision.policyVersion,
          requestId: r.requestId,
          detail: { category: input.category, recordId: id },
        });
        return { value: { id, category: input.category, grantId: g.id } };
      });
    },
  };
}

export type DataService = ReturnType<typeof createDataService>;
