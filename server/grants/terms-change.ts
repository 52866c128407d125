import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { InboxFacts } from '../customers/inbox.ts';
import type { CustomerStore } from '../customers/store.ts';
import type { CompanyTerms } from '../policy/types.ts';
import { toGrant, type Grants } from './service.ts';

/**
 * The closed set of ways new company terms can be worse for the customer while still passing the policy.
 * Each is a kind, the values it compares (numbers, or the company's kebab-case ids), and a sentence.
 */
export type TermsWorsening =
  | { kind: 'retention-longer'; from: number; to: number }
  | { kind: 'sharing-added' }
  | { kind: 'sharing-undisclosed' }
  | { kind: 'benefit-removed' }
  | { kind: 'purposes-added'; purposes: string[] }
  | { kind: 'commitments-dropped'; commitments: string[] };

const words = (ids: string[]) => ids.map((id) => id.replace(/-/g, ' ')).join(', ');

/** What changed for the worse from `before` to `after` (pure; an empty list when nothing did). */
export function termsWorsened(before: CompanyTerms, after: CompanyTerms): TermsWorsening[] {
  const out: TermsWorsening[] = [];
  if (after.retentionDays > before.retentionDays)
    out.push({ kind: 'retention-longer', from: before.retentionDays, to: after.retentionDays });
  if (after.sharesOnward && !before.sharesOnward) out.push({ kind: 'sharing-added' });
  else if (after.sharesOnward && before.onwardSharingDisclosed && !after.onwardSharingDisclosed)
    out.push({ kind: 'sharing-undisclosed' });
  if (before.benefit.kind !== 'none' && after.benefit.kind === 'none') out.push({ kind: 'benefit-removed' });
  const purposes = after.purposes.filter((p) => !before.purposes.includes(p));
  if (purposes.length) out.push({ kind: 'purposes-added', purposes });
  const commitments = before.valueTags.filter((t) => !after.valueTags.includes(t));
  if (commitments.length) out.push({ kind: 'commitments-dropped', commitments });
  return out;
}

/** The sentence for each kind, in plain words; company-typed text appears only as its kebab-case ids. */
export function describeWorsening(w: TermsWorsening): string {
  switch (w.kind) {
    case 'retention-longer':
      return `it now keeps your data for ${w.to} days instead of ${w.from}`;
    case 'sharing-added':
      return 'it now shares your data with others';
    case 'sharing-undisclosed':
      return 'it no longer says with whom it shares your data';
    case 'benefit-removed':
      return 'it no longer gives you anything in return';
    case 'purposes-added':
      return `it now declares more purposes: ${words(w.purposes)}`;
    case 'commitments-dropped':
      return `it dropped its commitments: ${words(w.commitments)}`;
  }
}

interface TermsSource {
  byId(id: string): Promise<{ name: string } | undefined>;
  termsAt(id: string, version: number): Promise<{ terms: CompanyTerms } | undefined>;
}

/**
 * When a company publishes terms that are worse for the customer but still pass the policy (those that
 * fail suspend the grant instead), each customer with a live grant is told in the inbox what changed and
 * can revoke in one step. Runs inside the transaction that changes the terms, after the re-evaluation.
 */
export function createTermsChangeNotices(
  ctx: Pick<AppContext, 'clock'>,
  d: { grants: Grants; companies: TermsSource; customerStore: CustomerStore },
) {
  return {
    async notify(companyId: string, version: number): Promise<number> {
      // Nobody to tell: the terms are not even read (termsAt caches, and this runs before the commit).
      const live = (await d.grants.store.liveForCompany(companyId)).map(toGrant);
      if (!live.length) return 0;
      const before = (await d.companies.termsAt(companyId, version - 1))?.terms;
      const after = (await d.companies.termsAt(companyId, version))?.terms;
      if (!before || !after) return 0;
      const changes = termsWorsened(before, after);
      if (!changes.length) return 0;
      const name = (await d.companies.byId(companyId))?.name ?? companyId;
      const what = changes.map(describeWorsening).join('; ');
      for (const g of live)
        await d.customerStore.insertInbox({
          id: randomUUID(),
          customerId: g.customerId,
          kind: 'grant.terms-worse',
          body: JSON.stringify({
            title: `${name} changed its terms`,
            text: `${name} changed its terms: ${what}. Its access for ${g.purpose.replace(/-/g, ' ')} carries on under the new terms unless you revoke it.`,
            facts: { company: name, purpose: g.purpose } satisfies InboxFacts,
            grantId: g.id,
            companyId,
            termsVersion: version,
            changes,
          }),
          createdAt: ctx.clock.now().toISOString(),
        });
      return live.length;
    },
  };
}
