import type { AppContext } from '../context.ts';
import { evaluate } from '../policy/evaluate.ts';
import {
  customerCriteriaSchema,
  type CompanyTerms,
  type BenefitFacts,
  type CustomerCriteria,
  type Decision,
  type Stage,
  type Usage,
} from '../policy/types.ts';
import type { AccessRequest } from '../oauth/details.ts';
import { categoriesOf } from '../oauth/details.ts';
import { policyCategoriesOfRecords } from '../oauth/record-access.ts';
import { claimCategoriesOf } from '../claims/catalogue.ts';

/** Where facts come from; gathered first, then the pure evaluator decides (ARCHITECTURE.md, "Where policy decisions happen"). */
export interface FactSources {
  termsOf(companyId: string, version?: number): Promise<{ version: number; terms: CompanyTerms }>;
  criteriaOf(customerId: string): Promise<CustomerCriteria>;
  /** The benefit ledger's facts; the period is the one the company's terms promise (server/benefits/). */
  benefitsOf?(customerId: string, companyId: string, periodDays: number | undefined): Promise<BenefitFacts>;
}

export function createDecider(ctx: AppContext, sources: FactSources) {
  return async function decide(
    stage: Stage,
    input: {
      customerId?: string;
      companyId: string;
      request: AccessRequest;
      termsVersion?: number;
      usage?: Usage;
      /** Proposed criteria instead of the stored ones: the dashboard's dry run of a criteria change. */
      criteria?: CustomerCriteria;
    },
  ): Promise<Decision> {
    const t = await sources.termsOf(input.companyId, input.termsVersion);
    const criteria = input.criteria ?? (input.customerId ? await sources.criteriaOf(input.customerId) : NO_CRITERIA);
    // Off the read path (a hot path, ARCHITECTURE.md "The life of a company read"): the ledger is judged when a
    // request is decided and by the sweep's re-evaluation at stage approve.
    const ledger =
      input.customerId && sources.benefitsOf && (stage === 'request' || stage === 'approve')
        ? { benefits: await sources.benefitsOf(input.customerId, input.companyId, t.terms.benefit.withinDays) }
        : {};
    return evaluate(
      {
        stage,
        request: {
          purpose: input.request.purpose,
          fields: input.request.fields,
          // Records inherit their category's sensitivity and limits (policies/categories.yaml).
          categories: [
            ...new Set([
              ...categoriesOf(input.request.fields),
              ...policyCategoriesOfRecords(input.request.records),
              // A claim reveals its own category, not its fields' (server/claims/catalogue.ts).
              ...claimCategoriesOf(input.request.claims),
            ]),
          ],
          actions: input.request.actions,
          durationDays: input.request.durationDays,
          ...(input.request.records
            ? {
                recordCategories: input.request.records.categories,
                recordSources: input.request.records.sources === 'any' ? [] : input.request.records.sources,
              }
            : {}),
        },
        company: { id: input.companyId, termsVersion: t.version, terms: t.terms },
        customer: { criteria },
        ...(input.usage ? { usage: input.usage } : {}),
        ...ledger,
      },
      ctx.policies,
    );
  };
}

export type Decide = ReturnType<typeof createDecider>;

/** Before the customer is known (PAR), only the platform's rules apply. */
const NO_CRITERIA: CustomerCriteria = customerCriteriaSchema.parse({});
