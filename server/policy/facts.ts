// The catalogue of named facts that rules may address by dotted path. Rules are checked
// against it at load time, so a typo such as `company.terms.retentiondays` stops start-up
// instead of silently never matching (a rule that never matches is a rule that never denies).
import type { Action, BenefitFacts, Category, DecisionFacts, Stage, Usage } from './types.ts';

export type FactType = 'number' | 'string' | 'boolean' | 'list';

/** Facts of the requested categories exist only inside a `forEach: category` rule. */
export const CATEGORY_FACTS = {
  'category.id': 'string',
  'category.known': 'boolean',
  'category.sensitive': 'boolean',
  'category.maxDurationDays': 'number',
  'category.autoApprove': 'boolean',
} as const satisfies Record<string, FactType>;

export const FACTS = {
  stage: 'string',
  'request.purpose': 'string',
  'request.fields': 'list',
  'request.categories': 'list',
  'request.actions': 'list',
  'request.durationDays': 'number',
  'request.recordCategories': 'list',
  'request.recordSources': 'list',
  'company.id': 'string',
  'company.termsVersion': 'number',
  'company.terms.purposes': 'list',
  'company.terms.retentionDays': 'number',
  'company.terms.sharesOnward': 'boolean',
  'company.terms.onwardSharingDisclosed': 'boolean',
  'company.terms.benefit.kind': 'string',
  'company.terms.benefit.description': 'string',
  'company.terms.benefit.withinDays': 'number',
  'company.terms.valueTags': 'list',
  'customer.criteria.maxRetentionDays': 'number',
  'customer.criteria.benefitRequiredForMarketing': 'boolean',
  'customer.criteria.refusedPurposes': 'list',
  'customer.criteria.requiredValueTags': 'list',
  'customer.criteria.blockedCompanies': 'list',
  'customer.criteria.recordsNeverFrom': 'list',
  'customer.criteria.purchasesOnlyForFinancialBenefit': 'boolean',
  'customer.criteria.benefitWithinDaysOfFirstRead': 'number',
  // From the benefit ledger (server/benefits/), for a known customer outside the read path.
  'benefits.daysSinceFirstRead': 'number',
  'benefits.deliveredInPeriod': 'number',
  'benefits.confirmedInPeriod': 'number',
  'benefits.delivered': 'number',
  'benefits.confirmed': 'number',
  'benefits.disputed': 'number',
  'usage.readsLastHour': 'number',
  'usage.readsLastDay': 'number',
  // Derived from policies/ for the requested purpose (purposes.yaml).
  'purpose.id': 'string',
  'purpose.known': 'boolean',
  'purpose.categories': 'list',
  'purpose.actions': 'list',
  'purpose.maxDurationDays': 'number',
  'purpose.benefitRequired': 'boolean',
  'purpose.marketing': 'boolean',
  // Derived from forbidden.yaml and categories.yaml.
  'platform.forbiddenPurposes': 'list',
  'platform.maxRetentionDays': 'number',
  'platform.forbidsUndisclosedOnwardSharing': 'boolean',
  'platform.sensitiveCategories': 'list',
  // Derived from budgets.yaml for the requested purpose.
  'budget.readsPerHour': 'number',
  'budget.readsPerDay': 'number',
  ...CATEGORY_FACTS,
} as const satisfies Record<string, FactType>;

export type FactPath = keyof typeof FACTS;
export const FACT_PATHS = Object.keys(FACTS) as [FactPath, ...FactPath[]];

export function isCategoryFact(path: string): boolean {
  return path.startsWith('category.');
}

export interface PurposeFacts {
  id: string;
  known: boolean;
  categories?: Category[];
  actions?: Action[];
  maxDurationDays?: number;
  benefitRequired?: boolean;
  marketing?: boolean;
}

export interface CategoryFacts {
  id: string;
  known: boolean;
  sensitive: boolean;
  maxDurationDays?: number;
  autoApprove: boolean;
}

export interface PlatformFacts {
  forbiddenPurposes: string[];
  maxRetentionDays: number;
  forbidsUndisclosedOnwardSharing: boolean;
  sensitiveCategories: Category[];
}

export interface Budget {
  readsPerHour: number;
  readsPerDay: number;
}

/** Everything a condition can see: the caller's facts plus those derived from policies/. */
export interface Scope {
  stage: Stage;
  request: DecisionFacts['request'];
  company: DecisionFacts['company'];
  customer: DecisionFacts['customer'];
  usage: Usage | undefined;
  benefits: BenefitFacts | undefined;
  purpose: PurposeFacts;
  platform: PlatformFacts;
  budget: Budget;
  category: CategoryFacts | undefined;
}
