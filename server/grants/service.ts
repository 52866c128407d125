import { randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { ActorKind } from '../audit/chain/event.ts';
import type { AppContext } from '../context.ts';
import { BadRequest, Conflict, NotFound } from '../http/errors.ts';
import type { RecordAccess } from '../oauth/record-access.ts';
import type { AccessRequest } from '../oauth/details.ts';
import type { Action } from '../policy/types.ts';
import type { ClaimRequest } from '../claims/catalogue.ts';
import { createGrantStore, type GrantRow } from './store.ts';

export type GrantStatus = GrantRow['status'];
/** The status reason of a suspended grant that reached its end date. */
export const LAPSED_REASON = 'The grant lapsed while suspended';
export type GrantChange = 'approved' | 'narrowed' | 'revoked' | 'expired' | 'suspended' | 'resumed';
export type Actor = { kind: ActorKind; id: string };

export interface Grant {
  id: string;
  customerId: string;
  companyId: string;
  purpose: string;
  fields: string[];
  actions: Action[];
  /** The claims it answers instead of values (server/claims/catalogue.ts). */
  claims: ClaimRequest[];
  termsVersion: number;
  policyVersion: string;
  status: GrantStatus;
  statusReason: string | null;
  autoApproved: boolean;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
  /** When the status last changed; null while the grant has been active since it was made. */
  statusChangedAt: string | null;
  /** The record categories, window and sources the grant covers, if any (oauth/record-access.ts). */
  records?: RecordAccess;
}

export interface NewGrant {
  customerId: string;
  companyId: string;
  purpose: string;
  fields: string[];
  actions: Action[];
  claims?: ClaimRequest[];
  durationDays: number;
  termsVersion: number;
  policyVersion: string;
  autoApproved: boolean;
  records?: RecordAccess;
}

/** The claims a grant answers, by catalogue name (closed vocabulary), for its audit event. */
const claimNames = (g: Grant): Record<string, string> =>
  g.claims.length ? { claims: g.claims.map((c) => c.name).join(' ') } : {};

/** The grant's granted length in whole days (at least 1): what the policy's duration rules judge. */
export function durationDaysOf(g: { createdAt: string; expiresAt: string }): number {
  return Math.max(1, Math.round((Date.parse(g.expiresAt) - Date.parse(g.createdAt)) / 86_400_000));
}

/**
 * What a live grant asks for, as a decision judges it: its fields, and also its records and claims (their
 * categories count, ARCHITECTURE.md "Where policy decisions happen"), so that re-evaluation, renewal and the
 * criteria preview decide on everything the grant releases.
 */
export function requestOfGrant(g: Grant): AccessRequest {
  return {
    purpose: g.purpose,
    fields: g.fields,
    actions: g.actions,
    durationDays: durationDaysOf(g),
    ...(g.records ? { records: g.records } : {}),
    ...(g.claims.length ? { claims: g.claims } : {}),
  };
}

export function toGrant(r: GrantRow): Grant {
  const { records, ...rest } = r;
  return {
    ...rest,
    fields: JSON.parse(r.fields) as string[],
    actions: JSON.parse(r.actions) as Action[],
    ...(records ? { records: JSON.parse(records) as RecordAccess } : {}),
    claims: r.claims ? (JSON.parse(r.claims) as ClaimRequest[]) : [],
  };
}

/**
 * The grant lifecycle: active -> revoked | expired | suspended (-> active again on re-approval).
 * Every change appends its audit event in the same transaction and notifies the hooks (receipts,
 * inbox) there too. Tokens need no separate revocation: every use re-checks the grant row.
 */
export function createGrants(ctx: Pick<AppContext, 'backend' | 'clock'>, audit: AuditAppend) {
  const store = createGrantStore(ctx.backend);
  const hooks = { onChange: [] as Array<(g: Grant, change: GrantChange, actor: Actor) => void | Promise<void>> };
  const now = () => ctx.clock.now().toISOString();

  function change(
    g: GrantRow,
    status: GrantStatus,
    changeKind: GrantChange,
    actor: Actor,
    reason: string | null,
    requestId?: string,
    extra: Partial<GrantRow> = {},
    audited?: { code: string; message: string }[],
  ) {
    return ctx.backend.inTransaction(async () => {
      // A narrowing keeps the status: its time stays the time the status last changed ("Stopped on <date>").
      const statusChangedAt = status !== g.status ? now() : g.statusChangedAt;
      await store.update(g.id, { status, statusReason: reason, updatedAt: now(), statusChangedAt, ...extra });
      const updated = toGrant((await store.byId(g.id))!);
      await audit({
        action: `grant.${changeKind}`,
        actor,
        customerId: g.customerId,
        companyId: g.companyId,
        grantId: g.id,
        purpose: g.purpose,
        fields: updated.fields,
        requestId,
        ...(audited ? { reasons: audited } : reason ? { reasons: [{ code: 'status-reason', message: reason }] } : {}),
      });
      for (const h of hooks.onChange) await h(updated, changeKind, actor);
      return updated;
    });
  }

  /**
   * Marks a grant expired if its time has come; returns the current row. A suspended grant that reaches
   * its end date has lapsed: it ends too, so that its deletion request goes out (ARCHITECTURE.md, "After consent").
   */
  async function refresh(row: GrantRow): Promise<GrantRow> {
    if ((row.status === 'active' || row.status === 'suspended') && row.expiresAt <= now()) {
      const reason = row.status === 'suspended' ? LAPSED_REASON : 'The grant reached its end date';
      await change(row, 'expired', 'expired', { kind: 'system', id: 'clock' }, reason);
      return (await store.byId(row.id))!;
    }
    return row;
  }

  async function refreshAll(rows: GrantRow[]): Promise<Grant[]> {
    const out: Grant[] = [];
    for (const r of rows) out.push(toGrant(await refresh(r)));
    return out;
  }

  return {
    hooks,
    store,
    refresh,

    create(input: NewGrant, actor: Actor, requestId?: string): Promise<Grant> {
      const id = randomUUID();
      const at = ctx.clock.now();
      const expiresAt = new Date(at.getTime() + input.durationDays * 86_400_000).toISOString();
      return ctx.backend.inTransaction(async () => {
        await store.insert({
          id,
          customerId: input.customerId,
          companyId: input.companyId,
          purpose: input.purpose,
          fields: JSON.stringify(input.fields),
          actions: JSON.stringify(input.actions),
          records: input.records ? JSON.stringify(input.records) : null,
          claims: input.claims?.length ? JSON.stringify(input.claims) : null,
          termsVersion: input.termsVersion,
          policyVersion: input.policyVersion,
          status: 'active',
          autoApproved: input.autoApproved,
          createdAt: at.toISOString(),
          expiresAt,
          updatedAt: at.toISOString(),
        });
        const g = toGrant((await store.byId(id))!);
        await audit({
          action: 'grant.approved',
          actor,
          customerId: g.customerId,
          companyId: g.companyId,
          grantId: id,
          purpose: g.purpose,
          fields: g.fields,
          policyVersion: g.policyVersion,
          requestId,
          detail: { autoApproved: g.autoApproved, expiresAt, ...claimNames(g) },
        });
        for (const h of hooks.onChange) await h(g, 'approved', actor);
        return g;
      });
    },

    listForCustomer: async (customerId: string) => refreshAll(await store.listForCustomer(customerId)),
    listForCompany: async (companyId: string) => refreshAll(await store.listForCompany(companyId)),

    async getForCustomer(customerId: string, id: string): Promise<Grant> {
      const r = await store.forCustomer(customerId, id);
      if (!r) throw new NotFound('No such grant');
      return toGrant(await refresh(r));
    },

    async getForCompany(companyId: string, id: string): Promise<Grant> {
      const r = await store.forCompany(companyId, id);
      if (!r) throw new NotFound('No such grant');
      return toGrant(await refresh(r));
    },

    /** The customer narrows a live grant: fewer fields, fewer actions or an earlier end. Never wider. */
    async narrow(
      customerId: string,
      id: string,
      to: { fields?: string[]; actions?: Action[]; expiresAt?: string },
      requestId?: string,
    ): Promise<Grant> {
      const r = await store.forCustomer(customerId, id);
      if (!r) throw new NotFound('No such grant');
      const g = toGrant(await refresh(r));
      if (g.status !== 'active' && g.status !== 'suspended') throw new Conflict(`The grant is ${g.status}`);
      const fields = to.fields ?? g.fields;
      const actions = to.actions ?? g.actions;
      const expiresAt = to.expiresAt ? new Date(to.expiresAt).toISOString() : g.expiresAt;
      // A grant of claims or records only has no field to keep: it can still be shortened or lose an action.
      if ((fields.length === 0 && g.fields.length > 0) || !fields.every((f) => g.fields.includes(f)))
        throw new BadRequest('Fields can only be removed, and at least one must remain');
      if (actions.length === 0 || !actions.every((a) => g.actions.includes(a)))
        throw new BadRequest('Actions can only be removed, and at least one must remain');
      if (expiresAt > g.expiresAt) throw new BadRequest('A grant can only be shortened');
      if (expiresAt <= now()) throw new BadRequest('The new end must be in the future; revoke the grant instead');
      // A suspended grant keeps its reason, written for the customer; the trail gets a fixed sentence.
      const audited = g.statusReason ? [{ code: 'status-reason', message: 'The grant stays suspended.' }] : undefined;
      const narrowed = { fields: JSON.stringify(fields), actions: JSON.stringify(actions), expiresAt };
      const actor = { kind: 'customer' as const, id: customerId };
      return change(r, g.status, 'narrowed', actor, g.statusReason, requestId, narrowed, audited);
    },

    async revoke(
      grantId: string,
      owner: { customerId?: string; companyId?: string },
      actor: Actor,
      reason: string,
      requestId?: string,
    ): Promise<Grant> {
      const r = owner.customerId
        ? await store.forCustomer(owner.customerId, grantId)
        : owner.companyId
          ? await store.forCompany(owner.companyId, grantId)
          : undefined;
      if (!r) throw new NotFound('No such grant');
      if (r.status === 'revoked' || r.status === 'expired') return toGrant(r);
      return change(r, 'revoked', 'revoked', actor, reason, requestId);
    },

    /** Used by lock-out and company disabling: revokes every live grant of a company (for one customer or all). */
    revokeAllOfCompany(companyId: string, actor: Actor, reason: string, customerId?: string): Promise<number> {
      return ctx.backend.inTransaction(async () => {
        const live = (await store.listForCompany(companyId)).filter(
          (g) => (g.status === 'active' || g.status === 'suspended') && (!customerId || g.customerId === customerId),
        );
        for (const g of live) await change(g, 'revoked', 'revoked', actor, reason);
        return live.length;
      });
    },

    /** Account deletion: every grant of the customer ends with it. */
    revokeAllOfCustomer(customerId: string, reason: string): Promise<number> {
      return ctx.backend.inTransaction(async () => {
        const live = (await store.listForCustomer(customerId)).filter(
          (g) => g.status === 'active' || g.status === 'suspended',
        );
        for (const g of live) await change(g, 'revoked', 'revoked', { kind: 'customer', id: customerId }, reason);
        return live.length;
      });
    },

    /** `reason` is for the customer; `audited` is what the trail keeps (reasonsForAudit), when given. */
    suspend(
      row: GrantRow,
      reason: string,
      policyVersion?: string,
      audited?: { code: string; message: string }[],
    ): Promise<Grant> {
      return change(
        row,
        'suspended',
        'suspended',
        { kind: 'system', id: 'policy' },
        reason,
        undefined,
        policyVersion ? { policyVersion } : {},
        audited,
      );
    },

    resume(
      row: GrantRow,
      actor: Actor,
      termsVersion: number,
      policyVersion: string,
      requestId?: string,
    ): Promise<Grant> {
      return change(row, 'active', 'resumed', actor, null, requestId, { termsVersion, policyVersion });
    },

    /**
     * A renewal (server/grants/renew.ts): the customer consented again and policy allowed it, so the live grant
     * runs for its length again from now, under the current terms. Recorded as an approval, with its receipt.
     */
    renew(
      row: GrantRow,
      durationDays: number,
      termsVersion: number,
      policyVersion: string,
      requestId?: string,
    ): Promise<Grant> {
      const at = ctx.clock.now();
      const expiresAt = new Date(at.getTime() + durationDays * 86_400_000).toISOString();
      const extra = { createdAt: at.toISOString(), expiresAt, termsVersion, policyVersion };
      return change(row, 'active', 'approved', { kind: 'customer', id: row.customerId }, null, requestId, extra);
    },

    /** Periodic sweep so expiry is recorded even for grants nobody touches. */
    async expireDue(): Promise<number> {
      const due = await store.dueToExpire(now());
      for (const r of due) await refresh(r);
      return due.length;
    },
  };
}

export type Grants = ReturnType<typeof createGrants>;
