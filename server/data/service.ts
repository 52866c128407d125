import { randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/store.ts';
import type { AppContext } from '../context.ts';
import { sealField } from '../crypto/field-cipher.ts';
import type { Profile } from '../customers/profile.ts';
import type { Decide } from '../grants/decide.ts';
import { durationDaysOf, toGrant, type Grant, type Grants } from '../grants/service.ts';
import { NotFound, OAuthError, PolicyDenied, VaultError } from '../http/errors.ts';
import { categoriesOf } from '../oauth/details.ts';
import type { OAuthStore } from '../oauth/store.ts';
import type { GroupCommit } from '../db/group-commit.ts';
import type { UsageCounter } from '../grants/usage.ts';
import type { AccessClaims } from '../oauth/tokens.ts';
import type { Category, Decision } from '../policy/types.ts';

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

/** What a unit of audited work ends in: data to send, or a refusal that is itself audited. */
type Outcome<T> = { value: T } | { refused: VaultError };

/**
 * The company-facing resource API. Each request is one unit of the group commit (db/group-commit.ts):
 * one savepoint holds the whole decision (grant state, token family, policy with the usage budget
 * counted from the log, decryption, audit append), committed with the other requests of the same
 * turn of the event loop. A refusal commits its audit event and is sent only once that is durable;
 * an exception rolls the unit back. If the append or the commit fails, nothing is sent (fail closed,
 * DESIGN §2).
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
    customerIdByHandle: (h: string) => string | undefined;
  },
) {
  /** Checks the token against the database: the live grant, or the refusal to send (an expiry found here is committed). */
  function liveGrant(r: DataRequest): Grant | VaultError {
    const c = r.claims;
    const invalid = (msg: string) => new OAuthError(401, 'invalid_token', msg, r.scheme);
    if (!c.grant_id || !c.fam) return invalid('this token does not name a grant');
    const fam = d.oauth.family(c.fam);
    if (!fam || fam.revokedAt || fam.grantId !== c.grant_id) return invalid('the token family has been revoked');
    const row = d.grants.store.byId(c.grant_id);
    if (!row || row.companyId !== c.client_id) return invalid('the grant does not exist');
    const fresh = d.grants.refresh(row);
    if (fresh.status === 'revoked') return invalid('the grant has been revoked');
    if (fresh.status === 'expired') return invalid('the grant has expired');
    const g = toGrant(fresh);
    // Company A's token never reaches customer B: another customer's handle is simply not found (STYLE 5).
    if (d.customerIdByHandle(r.handle) !== g.customerId) return new NotFound('No such customer under this grant');
    if (g.status === 'suspended')
      return new PolicyDenied(`The grant is suspended: ${g.statusReason ?? 'it no longer passes the policy'}`, {
        reasons: [{ code: 'GRANT_SUSPENDED', message: g.statusReason ?? 'suspended', source: 'platform' }],
      });
    return g;
  }

  /** Audits a denial in the unit's savepoint and returns the refusal to send once it is durable. */
  function denied(
    g: Grant,
    r: DataRequest,
    fields: string[],
    decision: Decision | undefined,
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
      reasons: decision?.reasons.map(({ code, message: m }) => ({ code, message: m })) ?? [
        { code: 'OUT_OF_SCOPE', message },
      ],
      policyVersion: decision?.policyVersion ?? ctx.policies.version,
      requestId: r.requestId,
    });
    return {
      refused: new PolicyDenied(message, {
        reasons: decision?.reasons ?? [{ code: 'OUT_OF_SCOPE', message, source: 'platform' }],
        policyVersion: decision?.policyVersion ?? ctx.policies.version,
      }),
    };
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

  return {
    read(r: DataRequest, wanted?: string[]) {
      return audited(() => {
        const g = liveGrant(r);
        if (g instanceof VaultError) return { refused: g };
        const fields = wanted && wanted.length ? [...new Set(wanted)] : g.fields;
        const outside = fields.filter((f) => !g.fields.includes(f));
        if (outside.length) return denied(g, r, fields, undefined, `Fields outside the grant: ${outside.join(', ')}`);
        const now = ctx.clock.now();
        const decision = d.decide('read', {
          customerId: g.customerId,
          companyId: g.companyId,
          request: { purpose: g.purpose, fields, actions: ['read'], durationDays: durationDaysOf(g) },
          usage: d.usage.of(g.id, 'read', now),
        });
        if (!decision.allow) return denied(g, r, fields, decision, 'The policy refuses this read');
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
        const g = liveGrant(r);
        if (g instanceof VaultError) return { refused: g };
        if (!categoriesOf(g.fields).includes(input.category))
          return denied(g, r, [], undefined, `Category ${input.category} is outside the grant`);
        const now = ctx.clock.now();
        const decision = d.decide('deposit', {
          customerId: g.customerId,
          companyId: g.companyId,
          request: {
            purpose: g.purpose,
            fields: g.fields.filter((f) => categoriesOf([f])[0] === input.category),
            actions: ['deposit'],
            durationDays: durationDaysOf(g),
          },
          usage: d.usage.of(g.id, 'deposit', now),
        });
        if (!decision.allow || !g.actions.includes('deposit'))
          return denied(
            g,
            r,
            [],
            decision.allow ? undefined : decision,
            'The grant or the policy does not allow deposits',
          );
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
