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
  ) => Promise<
    Map<
      string,
      {
        lastReadAt?: string;
        readsSince: number;
        fieldsRead: string[];
        firstReadAt?: string;
        readsTotal: number;
        recordsDeposited: number;
      }
    >
  >;
  /** What each company gave back (server/benefits/): counts and confirmed totals per currency. */
  benefitsOf?: (customerId: string) => Promise<Map<string, BenefitSummary>>;
  /** The company's current terms: what it says it does with data it already holds. */
  termsOf: (companyId: string) => Promise<{ retentionDays: number; contact?: string } | undefined>;
  /** A policy dry-run of re-approving a suspended grant (nothing is changed). */
  reapproveCheck: (customerId: string, g: Grant) => Promise<Decision>;
}

/**
 * What the customer's grants page needs beyond the grants themselves: one entry per company (its
 * activity, what it holds, how to ask it to delete) and, per suspended grant, whether re-approving it
 * would pass the policy, so the page never offers a button the server would refuse.
 */
export function createGrantOverview(d: OverviewDeps) {
  return {
    async reapproval(customerId: string, g: Grant) {
      if (g.status !== 'suspended') return {};
      const decision = await d.reapproveCheck(customerId, g);
      return decision.allow
        ? { canReapprove: true }
        : {
            canReapprove: false,
            reapproveReasons: decision.reasons
              .filter((r) => r.effect === 'deny')
              .map((r) => ({ code: r.code, message: r.message, source: r.source })),
          };
    },

    async companies(customerId: string, grants: Grant[]) {
      const since = new Date(d.now().getTime() - RECENT_READS_DAYS * DAY_MS).toISOString();
      const activity = await d.activityOf(customerId, since);
      const benefits = await d.benefitsOf?.(customerId);
      const ids = [...new Set(grants.map((g) => g.companyId))];
      return await Promise.all(
        ids.map(async (id) => {
          const a = activity.get(id);
          const terms = await d.termsOf(id);
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
        }),
      );
    },
  };
}

export type GrantOverview = ReturnType<typeof createGrantOverview>;
