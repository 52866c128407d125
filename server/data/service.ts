import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import type { Profile } from '../customers/profile.ts';
import type { GroupCommit } from '../db/group-commit.ts';
import type { Decide } from '../grants/decide.ts';
import { durationDaysOf, type Grant, type Grants } from '../grants/service.ts';
import type { UsageCounter } from '../grants/usage.ts';
import { VaultError } from '../http/errors.ts';
import type { OAuthStore } from '../oauth/store.ts';
import type { CustomerCriteria } from '../policy/types.ts';
import { createAdmission, dataEvent, type DataRequest, type Outcome } from './admission.ts';
import type { RevokedJtis } from '../oauth/revoked-jtis.ts';
import { createGrantCheck } from './grant-check.ts';
import type { RecordStore } from './record-store.ts';
import type { PageBuffers } from './page-buffers.ts';
import type { RecordTails } from './record-tails.ts';
import { createRecordUnits, type DepositInput, type RecordQuery } from './records.ts';
import { claimDetail, createClaimAnswerer, signClaimAnswer } from '../claims/answer.ts';
import type { ClaimName } from '../claims/catalogue.ts';
import type { RefusalLimit } from './refusal-limit.ts';
import type { UseReadAhead } from './use-read-ahead.ts';
import type { ReadAheadWanted } from '../db/read-ahead.ts';

export type { DataRequest };

export class AuditUnavailable extends VaultError {
  readonly status = 503;
  readonly slug = 'audit-unavailable';
  readonly title = 'The audit trail cannot record this access, so no data is released';
}

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
    customerIdByHandle: (h: string) => Promise<string | undefined>;
    /** Access-token ids found revoked, which the data API's authenticator then refuses at once. */
    revokedJtis: RevokedJtis;
    /** The unit's first reads in one round trip on PostgreSQL (use-read-ahead.ts). */
    readAhead?: UseReadAhead;
    records: {
      store: RecordStore;
      companyName: (companyId: string) => Promise<string>;
      criteriaOf: (customerId: string) => Promise<CustomerCriteria>;
      onDeviceAttention: (customerId: string, recordId: string) => void | Promise<void>;
      roomFor: (customerId: string, companyId: string) => void | Promise<void>;
      tails: RecordTails;
      pageBuffers: PageBuffers;
    };
  },
) {
  const admission = createAdmission(ctx, {
    audit: d.audit,
    refusals: d.refusals,
    grantCheck: createGrantCheck(d),
  });
  const { admit, denied } = admission;
  const records = createRecordUnits(ctx, { ...admission, ...d.records, ...d, dekOf: d.profile.dekOf });

  /** Runs the unit in the group commit and answers only once it is durable; any failure releases nothing. */
  async function audited<T>(fn: () => Promise<Outcome<T>>, ahead?: () => ReadAheadWanted): Promise<T> {
    let outcome: Outcome<T>;
    try {
      outcome = await d.commit.submit(fn, ahead);
    } catch (e) {
      if (e instanceof VaultError) throw e;
      ctx.logger.error({ err: e }, 'audited transaction failed; no data released');
      throw new AuditUnavailable('The access could not be recorded, so it was refused; try again later');
    }
    if ('refused' in outcome) throw outcome.refused;
    return outcome.value;
  }

  /**
   * A company read's unit: its first reads declared with it, so that its batch may fetch them with the others', and
   * fetched (or taken from the batch's) as the unit starts, at the unit's own time (use-read-ahead.ts).
   */
  function auditedRead<T>(r: DataRequest, fields: boolean, fn: (now: Date) => Promise<Outcome<T>>): Promise<T> {
    const ahead = d.readAhead;
    return audited(
      async () => {
        const now = ctx.clock.now();
        if (ahead) await ahead.fetch(r, now, { fields });
        return fn(now);
      },
      ahead && (() => ahead.wanted(r, ctx.clock.now(), { fields })),
    );
  }

  /** The policy's facts for one use: the grant's own actions (what it covers), its purpose and length. */
  const facts = (g: Grant, fields: string[]) => ({
    purpose: g.purpose,
    fields,
    actions: g.actions,
    durationDays: durationDaysOf(g),
  });

  const claims = createClaimAnswerer(ctx);
  const NOT_GRANTED = { code: 'CLAIM_NOT_GRANTED', message: 'This grant does not answer this claim.' };
  // A grant of answers (or records) only covers no field: a plain read would release nothing and still count as
  // a read in the customer's activity, so it is refused as outside the grant (SECURITY.md "Company reads").
  const NO_FIELDS = {
    code: 'NO_FIELDS_GRANTED',
    message:
      'This grant covers no profile fields, so a field read releases nothing: ask its claims or records instead.',
  };

  /** Refuses, audited, a read of a grant that names no field. */
  function noFields(g: Grant, r: DataRequest, now: Date): Promise<Outcome<never>> {
    const reasons = [{ ...NO_FIELDS, source: 'platform' as const, effect: 'deny' as const }];
    return denied(
      g,
      r,
      now,
      [],
      { reasons, policyVersion: ctx.policies.version, audited: [NO_FIELDS] },
      NO_FIELDS.message,
      true,
    );
  }

  return {
    /**
     * A claim answer (ARCHITECTURE.md, "Claims: answers instead of data"): the same audited unit as a read,
     * but only the answer leaves it, and the event names the claim and its result, never the field's value.
     * Signed once the unit is durable: a failed signature releases nothing that was not audited.
     */
    async claim(r: DataRequest, name: ClaimName) {
      const answered = await auditedRead(r, true, async (now) => {
        const g = await admit(r, now, { action: 'read', fields: [] });
        if (!('id' in g)) return g;
        const claim = g.claims.find((c) => c.name === name);
        if (!claim) {
          const reasons = [{ ...NOT_GRANTED, source: 'platform' as const, effect: 'deny' as const }];
          const why = { reasons, policyVersion: ctx.policies.version, audited: [NOT_GRANTED] };
          return denied(g, r, now, [], why, NOT_GRANTED.message, true);
        }
        const decision = await d.decide('read', {
          customerId: g.customerId,
          companyId: g.companyId,
          request: { ...facts(g, []), claims: [claim] },
          usage: await d.usage.of(g.customerId, g.id, 'read', now),
        });
        if (!decision.allow) return denied(g, r, now, [], decision, 'The policy refuses this claim');
        const answer = claims.answer(claim, await d.profile.openFields(g.customerId, claims.fieldsOf(claim)));
        await d.usage.record(g.customerId, g.id, 'read', now);
        const detail = claimDetail(answer);
        await d.audit(
          dataEvent('data.claim', g, r, { decision: 'allow', policyVersion: decision.policyVersion, detail }),
        );
        return { value: { grantId: g.id, companyId: g.companyId, answer } };
      });
      return signClaimAnswer(ctx, { ...answered, handle: r.handle });
    },

    read(r: DataRequest, wanted?: string[]) {
      return auditedRead(r, true, async (now) => {
        const asked = wanted && wanted.length ? [...new Set(wanted)] : undefined;
        const g = await admit(r, now, { action: 'read', fields: asked ?? [] });
        if (!('id' in g)) return g;
        const fields = asked ?? g.fields;
        if (fields.length === 0) return noFields(g, r, now);
        const decision = await d.decide('read', {
          customerId: g.customerId,
          companyId: g.companyId,
          request: facts(g, fields),
          usage: await d.usage.of(g.customerId, g.id, 'read', now),
        });
        if (!decision.allow) return denied(g, r, now, fields, decision, 'The policy refuses this read');
        const values = await d.profile.openFieldsJson(g.customerId, fields);
        await d.usage.record(g.customerId, g.id, 'read', now);
        await d.audit(
          dataEvent('data.read', g, r, { fields, decision: 'allow', policyVersion: decision.policyVersion }),
        );
        // The answer as JSON text, its values copied in as they were sealed (profile.ts openFieldsJson).
        const [grantId, customer, purpose] = [g.id, r.handle, g.purpose].map((v) => JSON.stringify(v));
        return {
          value: { json: `{"grantId":${grantId},"customer":${customer},"purpose":${purpose},"fields":${values}}` },
        };
      });
    },

    /** A typed record, stored once per idempotency key; a retry answers what the first deposit answered. */
    deposit(r: DataRequest, input: DepositInput) {
      const deviceId = typeof r.claims.device_id === 'string' ? r.claims.device_id : undefined;
      return audited(() => records.deposit(r, input, deviceId));
    },

    /** The customer's records from every source the grant allows, newest first (issue 15). */
    readRecords(r: DataRequest, q: RecordQuery) {
      return auditedRead(r, false, (now) => records.read(r, q, now));
    },
  };
}

export type DataService = ReturnType<typeof createDataService>;
