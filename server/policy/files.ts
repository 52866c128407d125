// zod schemas of the files in policies/. They are the source of policies/schema.json
// (see json-schema.ts), so the published schema and the loader can never disagree.
import { z } from 'zod';
import { FACT_PATHS, type FactPath } from './facts.ts';
import { actionSchema, categorySchema, kebabIdSchema, stageSchema, STAGES } from './types.ts';

export const POLICY_FILES = [
  'purposes.yaml',
  'categories.yaml',
  'forbidden.yaml',
  'budgets.yaml',
  'rules.yaml',
  'after-consent.yaml',
] as const;
export type PolicyFileName = (typeof POLICY_FILES)[number];

const days = z.number().int().min(1).max(3650);
const text = z.string().min(1).max(500);

export const purposesFileSchema = z.strictObject({
  purposes: z
    .array(
      z.strictObject({
        id: kebabIdSchema,
        description: text,
        categories: z.array(categorySchema).min(1),
        actions: z.array(actionSchema).min(1),
        maxDurationDays: days,
        benefitRequired: z.boolean(),
        // Marks the purposes that a customer's "benefit required for marketing" criterion covers.
        marketing: z.boolean().default(false),
      }),
    )
    .min(1),
});

export const categoriesFileSchema = z.strictObject({
  sensitive: z.strictObject({ maxDurationDays: days, autoApprove: z.boolean() }),
  categories: z.array(
    z.strictObject({
      id: categorySchema,
      description: text,
      sensitive: z.boolean(),
      maxDurationDays: days.optional(),
    }),
  ),
});

export const forbiddenFileSchema = z.strictObject({
  purposes: z.array(z.strictObject({ id: kebabIdSchema, description: text })),
  practices: z.strictObject({
    undisclosedOnwardSharing: z.enum(['forbidden', 'allowed']),
    maxRetentionDays: days,
  }),
});

const budgetSchema = z
  .strictObject({ readsPerHour: z.number().int().min(0), readsPerDay: z.number().int().min(0) })
  .refine((b) => b.readsPerHour <= b.readsPerDay, 'readsPerHour must not exceed readsPerDay');

export const budgetsFileSchema = z.strictObject({
  default: budgetSchema,
  purposes: z.record(kebabIdSchema, budgetSchema).default({}),
});

// What happens over a grant's life and after it ends (ARCHITECTURE.md, "After consent").
export const afterConsentFileSchema = z.strictObject({
  reminderDays: days,
  expiryNoticeDays: days,
  deletion: z.strictObject({
    maxDays: days,
    suspendOtherGrantsWhenOverdue: z.boolean(),
  }),
});

// ---- the condition language ------------------------------------------------------------

export const COMPARISONS = [
  'eq',
  'ne',
  'lt',
  'lte',
  'gt',
  'gte',
  'in',
  'contains',
  'includesAny',
  'includesAll',
  'subsetOf',
] as const;
export type ComparisonOp = (typeof COMPARISONS)[number];
export const OPERATORS = ['all', 'any', 'not', 'exists', ...COMPARISONS] as const;

export type Literal = string | number | boolean | (string | number)[];
export type Operand = Literal | { fact: FactPath };
export type Comparison = [FactPath, Operand];
export type Condition = {
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  exists?: FactPath;
} & { [K in ComparisonOp]?: Comparison };

export const factPathSchema = z.enum(FACT_PATHS, {
  error: (iss) => `unknown fact ${JSON.stringify(iss.input)} (see the fact list in policies/README.md)`,
});
const operandSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.union([z.string(), z.number()])),
  z.strictObject({ fact: factPathSchema }),
]);
export const comparisonSchema = z.tuple([factPathSchema, operandSchema]);

export const conditionSchema: z.ZodType<Condition> = z
  .strictObject({
    get all() {
      return z.array(conditionSchema).optional();
    },
    get any() {
      return z.array(conditionSchema).optional();
    },
    get not() {
      return conditionSchema.optional();
    },
    exists: factPathSchema.optional(),
    ...(Object.fromEntries(COMPARISONS.map((op) => [op, comparisonSchema.optional()])) as {
      [K in ComparisonOp]: z.ZodOptional<typeof comparisonSchema>;
    }),
  })
  .refine((c) => Object.keys(c).length === 1, `a condition has exactly one operator: ${OPERATORS.join(', ')}`)
  .meta({ minProperties: 1, maxProperties: 1 });

export const ruleSchema = z.strictObject({
  id: kebabIdSchema,
  description: text.optional(),
  effect: z.enum(['deny', 'require-approval']),
  source: z.enum(['platform', 'customer']),
  stages: z
    .array(stageSchema)
    .min(1)
    .default([...STAGES]),
  // Runs the condition once per requested category, with `category.*` facts bound.
  forEach: z.literal('category').optional(),
  // Stop evaluating later rules when this one fires (e.g. an unknown purpose has no limits).
  halt: z.boolean().default(false),
  reason: z.string().regex(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, 'expected an UPPER_SNAKE reason code'),
  message: z.string().min(1).max(300),
  when: conditionSchema,
});
export type RuleSpec = z.output<typeof ruleSchema>;

export const rulesFileSchema = z.strictObject({ rules: z.array(ruleSchema).min(1) });

// ---- policies/tests/*.yaml ------------------------------------------------------------

/** Case facts are deep-merged over `base`, then validated as DecisionFacts. */
export const casesFileSchema = z.strictObject({
  description: text.optional(),
  base: z.record(z.string(), z.unknown()).default({}),
  cases: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        facts: z.record(z.string(), z.unknown()).default({}),
        expect: z.strictObject({
          allow: z.boolean(),
          reasons: z.array(z.string()).default([]),
          autoApprove: z.boolean().optional(),
        }),
      }),
    )
    .min(1),
});
export type CasesFile = z.output<typeof casesFileSchema>;

export const fileSchemas = {
  'purposes.yaml': purposesFileSchema,
  'categories.yaml': categoriesFileSchema,
  'forbidden.yaml': forbiddenFileSchema,
  'budgets.yaml': budgetsFileSchema,
  'rules.yaml': rulesFileSchema,
  'after-consent.yaml': afterConsentFileSchema,
} as const satisfies Record<PolicyFileName, z.ZodType>;

export type PolicyFiles = { [K in PolicyFileName]: z.output<(typeof fileSchemas)[K]> };
