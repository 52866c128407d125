import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { inWords, type InboxFacts } from '../customers/inbox.ts';
import type { CustomerStore } from '../customers/store.ts';
import { FIELD_CATALOGUE, isFieldName } from '../customers/field-catalogue.ts';
import { Conflict, PolicyDenied } from '../http/errors.ts';
import { reasonsForAudit } from '../policy/index.ts';
import type { Decide } from './decide.ts';
import { requestOfGrant, toGrant, type Actor, type Grant, type GrantChange, type Grants } from './service.ts';

/** Why the sweep's benefit check suspends a grant; the inbox then says how to lift it (server/benefits/check.ts). */
export const BENEFIT_NOT_DELIVERED_WHY = 'The company has not delivered the benefit it promised';

interface CompanyNames {
  byId(id: string): Promise<{ name: string; termsVersion: number } | undefined>;
}

/**
 * Terms drift (ARCHITECTURE.md, "Where policy decisions happen"): when a company publishes new terms or the platform policy changes, every
 * live grant is decided again; those that no longer pass are suspended, and the customer is told in
 * their inbox why and how to re-approve.
 */
export function createGrantPolicy(
  ctx: AppContext,
  d: { grants: Grants; decide: Decide; customerStore: CustomerStore; companies: CompanyNames },
) {
  const companyName = async (id: string) => (await d.companies.byId(id))?.name ?? id;

  /** `onlyFor`: suspend only when one of these reason codes is among the refusals (the sweep's benefit check). */
  async function reevaluate(
    rows: Awaited<ReturnType<Grants['store']['live']>>,
    why: string,
    onlyFor?: ReadonlySet<string>,
  ): Promise<number> {
    let suspended = 0;
    for (const row of rows) {
      const decision = await d.decide('approve', {
        customerId: row.customerId,
        companyId: row.companyId,
        request: requestOfGrant(toGrant(row)),
      });
      if (decision.allow) continue;
      const denying = decision.reasons.filter((r) => r.effect !== 'require-approval');
      if (onlyFor && !denying.some((r) => onlyFor.has(r.code))) continue;
      const reasons = denying.map((r) => r.message).join(' ');
      // The customer's sentence quotes their criteria and the company's terms; the trail keeps closed text only.
      const audited = [{ code: 'status-reason', message: why }, ...reasonsForAudit(denying)];
      await d.grants.suspend(row, `${why}. ${reasons}`, decision.policyVersion, audited);
      suspended++;
    }
    return suspended;
  }

  /** The decision a re-approval would get now: the same one `reapprove` acts on (also a dry-run for the page). */
  function reapproveCheck(customerId: string, g: Grant) {
    return d.decide('approve', {
      customerId,
      companyId: g.companyId,
      request: requestOfGrant(g),
    });
  }

  return {
    /**
     * At start-up: live grants decided under another policy version are decided again under the
     * loaded one; those that pass are re-stamped, those that fail are suspended.
     */
    reevaluateStale(): Promise<number> {
      return ctx.backend.inTransaction(async () => {
        const stale = (await d.grants.store.live()).filter((g) => g.policyVersion !== ctx.policies.version);
        const suspended = await reevaluate(stale, 'The platform policy changed');
        for (const g of stale)
          if ((await d.grants.store.byId(g.id))?.status === 'active')
            await d.grants.store.update(g.id, { policyVersion: ctx.policies.version });
        return suspended;
      });
    },

    reapproveCheck,

    /** The customer re-approves a suspended grant under the company's current terms and the current policy. */
    async reapprove(customerId: string, grantId: string, requestId?: string): Promise<Grant> {
      const g = await d.grants.getForCustomer(customerId, grantId);
      if (g.status !== 'suspended')
        throw new Conflict(`Only a suspended grant can be re-approved; this one is ${g.status}`);
      const decision = await reapproveCheck(customerId, g);
      if (!decision.allow)
        throw new PolicyDenied('The grant still does not pass the policy', {
          reasons: decision.reasons,
          policyVersion: decision.policyVersion,
        });
      const company = await d.companies.byId(g.companyId);
      return d.grants.resume(
        (await d.grants.store.byId(g.id))!,
        { kind: 'customer', id: customerId },
        company?.termsVersion ?? g.termsVersion,
        decision.policyVersion,
        requestId,
      );
    },

    reevaluateCustomer: async (customerId: string, why: string) =>
      reevaluate(await d.grants.store.liveForCustomer(customerId), why),
    reevaluateCompany: async (companyId: string, why: string) =>
      reevaluate(await d.grants.store.liveForCompany(companyId), why),
    reevaluateAll: (why: string) => ctx.backend.inTransaction(async () => reevaluate(await d.grants.store.live(), why)),
    /** The benefit ledger's check: live grants refused for an undelivered benefit are suspended. */
    reevaluateBenefits: (codes: ReadonlySet<string>) =>
      ctx.backend.inTransaction(async () => reevaluate(await d.grants.store.live(), BENEFIT_NOT_DELIVERED_WHY, codes)),

    /** Every grant change lands in the customer's inbox, with its signed receipt when there is one. */
    async notify(g: Grant, change: GrantChange, actor: Actor, receiptId?: string) {
      if (change === 'resumed') return;
      const name = await companyName(g.companyId);
      // A grant of claims or records only has no field: its records, or plainly "your data".
      const labels = g.fields.map((f) => (isFieldName(f) ? FIELD_CATALOGUE[f].label.toLowerCase() : f));
      const items = g.records ? [...labels, `records (${g.records.categories.join(', ')})`] : labels;
      const what = items.length ? items.join(', ') : 'data';
      const why = g.purpose.replace(/-/g, ' ');
      const until = inWords(g.expiresAt);
      const may = mayText(g, what, [...labels, ...(g.records?.categories ?? [])].join(', '));
      const cannotRead = g.actions.includes('read') ? '' : ' It cannot read your data.';
      const reason = (g.statusReason ?? '').replace(/\.$/, '');
      const next = reason.startsWith(BENEFIT_NOT_DELIVERED_WHY)
        ? 'Once it has delivered, you can re-approve it, or let it lapse.'
        : 'You can re-approve it under the new terms, or let it lapse.';
      const [title, text] =
        change === 'suspended'
          ? [`${name}: access suspended`, `${name} can no longer use your data for ${why}. ${reason}. ${next}`]
          : change === 'expired'
            ? [`${name}: access ended`, `${name}'s access to your ${what} for ${why} reached its end date.`]
            : change === 'approved'
              ? [
                  `${name}: access granted${g.autoApproved ? ' automatically' : ''}`,
                  `${name} may ${may} for ${why} until ${until}.${cannotRead}${g.autoApproved ? ' Your auto-approval criteria granted it without asking you.' : ''} Your signed receipt is attached.`,
                ]
              : change === 'narrowed'
                ? [`${name}: access narrowed`, `${name} may now only ${may} for ${why}, until ${until}.${cannotRead}`]
                : actor.id === g.customerId
                  ? [`${name}: access revoked`, `You revoked ${name}'s access to your ${what} for ${why}.`]
                  : [`${name}: access revoked`, `${name}'s access for ${why} was revoked. ${reason}.`];
      await d.customerStore.insertInbox({
        id: randomUUID(),
        customerId: g.customerId,
        kind: `grant.${change}`,
        body: JSON.stringify({
          title,
          text,
          facts: {
            company: name,
            purpose: g.purpose,
            fields: g.fields,
            actions: g.actions,
            until: g.expiresAt,
            autoApproved: g.autoApproved,
            byCustomer: actor.id === g.customerId,
            ...(reason ? { reasons: [reason] } : {}),
            ...(g.claims.length ? { claims: g.claims.map((c) => c.name) } : {}),
            ...(g.records ? { records: g.records.categories } : {}),
          } satisfies InboxFacts,
          grantId: g.id,
          companyId: g.companyId,
          ...(receiptId ? { receiptId } : {}),
          // Decided by the customer's own criteria: the dashboard links to where they change them.
          ...(change === 'approved' && g.autoApproved ? { criteria: true } : {}),
        }),
        createdAt: ctx.clock.now().toISOString(),
      });
    },
  };
}

/** What a grant lets the company do, in the inbox's words: never "read" for a grant that cannot read. */
function mayText(g: Grant, what: string, deposited: string): string {
  const reads = g.actions.includes('read');
  const deposits = g.actions.includes('deposit');
  if (reads && deposits) return `read your ${what} and add records to your vault`;
  if (reads) return `read your ${what}`;
  return `add records (${deposited}) to your vault`;
}
