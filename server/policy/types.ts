// Domain types of the mutuality policy engine (ARCHITECTURE.md, "Where policy decisions happen") and the zod schemas that the
// HTTP layer validates company terms and customer criteria with. Everything inside the engine
// trusts these types; validation happens once, at the boundary.
import { z } from 'zod';

export const CATEGORIES = [
  'contact',
  'identity',
  'address',
  'demographics',
  'preferences',
  'purchases',
  'devices',
  'health',
  'financial',
  'location',
  // Answers about fields (server/claims/catalogue.ts): reveals a yes/no, not the value behind it.
  'eligibility',
] as const;
export type Category = (typeof CATEGORIES)[number];
export const categorySchema = z.enum(CATEGORIES);

export const ACTIONS = ['read', 'deposit'] as const;
export type Action = (typeof ACTIONS)[number];
export const actionSchema = z.enum(ACTIONS);

/** Where a decision is made: a request arrives, the customer approves, a read, a deposit. */
export const STAGES = ['request', 'approve', 'read', 'deposit'] as const;
export type Stage = (typeof STAGES)[number];
export const stageSchema = z.enum(STAGES);

// Purpose ids and value tags are kebab-case so that they read the same in YAML, URLs and logs.
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const kebabIdSchema = z.string().regex(KEBAB, 'expected a kebab-case id like "order-fulfilment"');

export const BENEFIT_KINDS = ['none', 'discount', 'payment', 'service'] as const;

export interface CompanyTerms {
  purposes: string[];
  retentionDays: number;
  sharesOnward: boolean;
  onwardSharingDisclosed: boolean;
  /** With whom the company shares onward, in its own words (shown to the customer as written). */
  onwardRecipients?: string;
  /** `withinDays`: how soon after the company first uses the data it promises to deliver the benefit (the ledger checks it). */
  benefit: { kind: (typeof BENEFIT_KINDS)[number]; description?: string; withinDays?: number };
  valueTags: string[];
  contact?: string;
}

export const companyTermsSchema = z.strictObject({
  purposes: z.array(kebabIdSchema).min(1).max(50),
  retentionDays: z.number().int().min(0).max(36_500),
  sharesOnward: z.boolean().default(false),
  onwardSharingDisclosed: z.boolean().default(false),
  // Plain text for people to read: one line, no control characters, so it renders as written.
  onwardRecipients: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .regex(/^[^\p{Cc}]+$/u, 'must be one line of text')
    .optional(),
  benefit: z
    .strictObject({
      kind: z.enum(BENEFIT_KINDS),
      description: z.string().max(500).optional(),
      withinDays: z.number().int().min(1).max(365).optional(),
    })
    .default({ kind: 'none' }),
  valueTags: z.array(kebabIdSchema).max(50).default([]),
  contact: z.string().max(320).optional(),
}) satisfies z.ZodType<CompanyTerms>;
export type CompanyTermsInput = z.input<typeof companyTermsSchema>;

export interface AutoApproveRule {
  purposes: string[];
  categories: Category[];
  actions: Action[];
  maxDurationDays: number;
}

export const autoApproveRuleSchema = z.strictObject({
  purposes: z.array(kebabIdSchema).min(1).max(20),
  categories: z.array(categorySchema).min(1),
  actions: z.array(actionSchema).min(1).default(['read']),
  maxDurationDays: z.number().int().min(1).max(3650),
}) satisfies z.ZodType<AutoApproveRule>;

export interface CustomerCriteria {
  maxRetentionDays?: number;
  benefitRequiredForMarketing: boolean;
  refusedPurposes: string[];
  requiredValueTags: string[];
  blockedCompanies: string[];
  autoApprove: AutoApproveRule[];
  /** Companies whose deposited records are never shared with anyone (server/data/record-read.ts filters them). */
  recordsNeverFrom?: string[];
  /** Purchase history (fields and records of category purchases) only for a discount or a payment in return. */
  purchasesOnlyForFinancialBenefit?: boolean;
  /** Suspend a company that has delivered no benefit this many days after its first read (the benefit ledger). */
  benefitWithinDaysOfFirstRead?: number;
}

// Every field has a default so that `{}` is "no criteria": the customer starts open and
// narrows from there, and the dashboard can send partial updates through the same schema.
export const customerCriteriaSchema = z.strictObject({
  maxRetentionDays: z.number().int().min(0).max(36_500).optional(),
  benefitRequiredForMarketing: z.boolean().default(false),
  refusedPurposes: z.array(kebabIdSchema).max(50).default([]),
  requiredValueTags: z.array(kebabIdSchema).max(50).default([]),
  blockedCompanies: z.array(z.string().min(1).max(200)).max(1000).default([]),
  autoApprove: z.array(autoApproveRuleSchema).max(50).default([]),
  recordsNeverFrom: z.array(z.string().min(1).max(200)).max(1000).default([]),
  purchasesOnlyForFinancialBenefit: z.boolean().default(false),
  benefitWithinDaysOfFirstRead: z.number().int().min(1).max(365).optional(),
}) satisfies z.ZodType<CustomerCriteria>;
export type CustomerCriteriaInput = z.input<typeof customerCriteriaSchema>;

export interface RequestFacts {
  purpose: string;
  fields: string[];
  categories: Category[];
  actions: Action[];
  durationDays: number;
  /** Record categories (server/data/record-catalogue.ts) and the sources a records grant names, if any. */
  recordCategories?: string[];
  recordSources?: string[];
}

export interface Usage {
  readsLastHour: number;
  readsLastDay: number;
}

/**
 * What the benefit ledger says about this company and this customer. Entries a customer disputed do not
 * count as delivered. "In period" is the last `company.terms.benefit.withinDays` days (absent when the
 * terms promise no period); `daysSinceFirstRead` is absent when the company never read.
 */
export interface BenefitFacts {
  daysSinceFirstRead?: number;
  deliveredInPeriod?: number;
  confirmedInPeriod?: number;
  delivered: number;
  confirmed: number;
  disputed: number;
}

export const benefitFactsSchema = z.strictObject({
  daysSinceFirstRead: z.number().int().min(0).optional(),
  deliveredInPeriod: z.number().int().min(0).optional(),
  confirmedInPeriod: z.number().int().min(0).optional(),
  delivered: z.number().int().min(0),
  confirmed: z.number().int().min(0),
  disputed: z.number().int().min(0),
}) satisfies z.ZodType<BenefitFacts>;

/** What the caller knows when it asks for a decision. `usage` counts earlier uses, not this one. */
export interface DecisionFacts {
  stage: Stage;
  request: RequestFacts;
  company: { id: string; termsVersion: number; terms: CompanyTerms };
  customer: { criteria: CustomerCriteria };
  usage?: Usage;
  /** Gathered for decisions about a known customer outside the read path (request, approve, re-evaluation). */
  benefits?: BenefitFacts;
}

export const decisionFactsSchema = z.strictObject({
  stage: stageSchema,
  request: z.strictObject({
    purpose: z.string(),
    fields: z.array(z.string()).default([]),
    categories: z.array(categorySchema),
    actions: z.array(actionSchema),
    durationDays: z.number().int(),
    recordCategories: z.array(z.string()).optional(),
    recordSources: z.array(z.string()).optional(),
  }),
  company: z.strictObject({
    id: z.string().min(1),
    termsVersion: z.number().int().min(1).default(1),
    terms: companyTermsSchema,
  }),
  customer: z.strictObject({ criteria: customerCriteriaSchema.default(customerCriteriaSchema.parse({})) }),
  usage: z.strictObject({ readsLastHour: z.number().int().min(0), readsLastDay: z.number().int().min(0) }).optional(),
  benefits: benefitFactsSchema.optional(),
}) satisfies z.ZodType<DecisionFacts>;

export type Effect = 'deny' | 'require-approval';
export type ReasonSource = 'platform' | 'customer';

export interface Reason {
  code: string;
  message: string;
  /** The message as the audit trail keeps it: only closed-vocabulary facts filled in (reasonsForAudit). */
  auditMessage?: string;
  ruleId?: string;
  source: ReasonSource;
  /** 'deny' refuses; 'require-approval' allows but never automatically (the customer decides). */
  effect: Effect;
}

export interface Decision {
  allow: boolean;
  reasons: Reason[];
  policyVersion: string;
  autoApprove: boolean;
}
