import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { CustomerStore } from '../customers/store.ts';
import { inTransaction } from '../db/connection.ts';
import type { Decide } from './decide.ts';
import type { Actor, Grant, GrantChange, Grants } from './service.ts';

interface CompanyNames {
  byId(id: string): { name: string } | undefined;
}

/**
 * Terms drift (DESIGN §5): when a company publishes new terms or the platform policy changes, every
 * live grant is decided again; those that no longer pass are suspended, and the customer is told in
 * their inbox why and how to re-approve.
 */
export function createGrantPolicy(ctx: AppContext, d: { grants: Grants; decide: Decide; customerStore: CustomerStore; companies: CompanyNames }) {
  const companyName = (id: string) => d.companies.byId(id)?.name ?? id;

  function reevaluate(rows: ReturnType<Grants['store']['live']>, why: string): number {
    let suspended = 0;
    for (const row of rows) {
      const fields = JSON.parse(row.fields) as string[];
      const durationDays = Math.max(1, Math.round((Date.parse(row.expiresAt) - Date.parse(row.createdAt)) / 86_400_000));
      const decision = d.decide('approve', { customerId: row.customerId, companyId: row.companyId, request: { purpose: row.purpose, fields, actions: JSON.parse(row.actions), durationDays } });
      if (decision.allow) continue;
      const reasons = decision.reasons.filter((r) => r.effect !== 'require-approval').map((r) => r.message).join(' ');
      d.grants.suspend(row, `${why}: ${reasons}`, decision.policyVersion);
      suspended++;
    }
    return suspended;
  }

  return {
    reevaluateCompany: (companyId: string, why: string) => reevaluate(d.grants.store.liveForCompany(companyId), why),
    reevaluateAll: (why: string) => inTransaction(ctx.db, () => reevaluate(d.grants.store.live(), why)),

    /** Grant changes that the customer must hear about land in their inbox. */
    notify(g: Grant, change: GrantChange, actor: Actor) {
      if (change !== 'suspended' && !(change === 'revoked' && actor.kind !== 'customer') && change !== 'expired') return;
      const name = companyName(g.companyId);
      const text =
        change === 'suspended' ? `Your grant to ${name} for ${g.purpose} is suspended: ${g.statusReason}. You can re-approve it under the new terms or let it lapse.`
        : change === 'expired' ? `Your grant to ${name} for ${g.purpose} has ended.`
        : `Your grant to ${name} for ${g.purpose} was revoked: ${g.statusReason}.`;
      d.customerStore.insertInbox({ id: randomUUID(), customerId: g.customerId, kind: `grant.${change}`, body: JSON.stringify({ title: `Grant ${change}`, text, grantId: g.id, companyId: g.companyId }), createdAt: ctx.clock.now().toISOString() });
    },
  };
}
