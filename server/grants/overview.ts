import type { Decision } from '../policy/types.ts';
import type { Grant } from './service.ts';

export interface BenefitSummary {
  confirmed: number;
  awaitingAnswer: number;
  disputed: number;
  totals: { currency: string; amount: string }[];
}
const NO_BENEFITS: BenefitSummary = { confirmed: 0, awaitingAnswer: 0, disputed: 0, totals: [] };

const DAY_MS = 86_400_000;
/** The grants page counts each company's reads over this window ("reads in the last 30 days"). */
export const RECENT_READS_DAYS = 30;

export interface OverviewDeps {
  now: () => Date;
  /** The audit trail's per-company activity for one customer (server/audit/company-activity.ts). */
  activityOf: (
    customerId: string,
    since: string,
  ) => Map<
    string,
    {
      lastReadAt?: string;
      readsSince: number;
      fieldsRead: string[];
      firstReadAt?: string;
      readsTotal: number;
      recordsDeposited: number;
    }
  >;
  /** What each company gave back (server/benefits/): counts and confirmed totals per currency. */
  benefitsOf?: (customerId: string) => Map<string, BenefitSummary>;
  /** The company's current terms: what it says it does with data it already holds. */
  termsOf: (companyId: string) => { retentionDays: number; contact?: string } | undefined;
  /** A policy dry-run of re-approving a suspended grant (nothing is changed). */
  reapproveCheck: (customerId: string, g: Grant) => Decision;
}

/**
 * What the customer's grants page needs beyond the grants themselves: one entry per company (its
 * activity, what it holds, how to ask it to delete) and, per suspended grant, whether re-approving it
 * would pass the policy, so the page never offers a button the server would refuse.
 */
export function createGrantOverview(d: OverviewDeps) {
  return {
    reapproval(customerId: string, g: Grant) {
      if (g.status !== 'suspended') return {};
      const decision = d.reapproveCheck(customerId, g);
      return decision.allow
        ? { canReapprove: true }
        : {
            canReapprove: false,
            reapproveReasons: decision.reasons
              .filter((r) => r.effect === 'deny')
              .map((r) => ({ code: r.code, message: r.message, source: r.source })),
          };
    },

    companies(customerId: string, grants: Grant[]) {
      const since = new Date(d.now().getTime() - RECENT_READS_DAYS * DAY_MS).toISOString();
      const activity = d.activityOf(customerId, since);
      const benefits = d.benefitsOf?.(customerId);
      const ids = [...new Set(grants.map((g) => g.companyId))];
      return ids.map((id) => {
        const a = activity.get(id);
        const terms = d.termsOf(id);
        return {
          id,
          lastReadAt: a?.lastReadAt ?? null,
          readsLast30Days: a?.readsSince ?? 0,
          fieldsRead: a?.fieldsRead ?? [],
          // "What you gave" beside "what you got back" (the benefit ledger).
          firstReadAt: a?.firstReadAt ?? null,
          readsTotal: a?.readsTotal ?? 0,
          recordsDeposited: a?.recordsDeposited ?? 0,
          benefits: benefits?.get(id) ?? NO_BENEFITS,
          retentionDays: terms?.retentionDays ?? null,
          contact: terms?.contact ?? null,
        };
      });
    },
  };
}

export type GrantOverview = ReturnType<typeof createGrantOverview>;
