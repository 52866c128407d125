// The loaded policy set and the questions other modules ask of it (which purposes exist, which
// categories are sensitive, how long a grant may last, how many reads a grant may make).
import type { Predicate } from './conditions.ts';
import type { Budget, CategoryFacts, PlatformFacts, PurposeFacts, Scope } from './facts.ts';
import type { Action, Category, Effect, ReasonSource, Stage } from './types.ts';

export interface PurposeEntry extends PurposeFacts {
  known: true;
  description: string;
  categories: Category[];
  actions: Action[];
  maxDurationDays: number;
  benefitRequired: boolean;
  marketing: boolean;
}

export interface CompiledRule {
  id: string;
  effect: Effect;
  source: ReasonSource;
  stages: Stage[];
  forEach: 'category' | undefined;
  halt: boolean;
  reason: string;
  when: Predicate;
  message: (scope: Scope) => string;
  /** The same sentence with only closed-vocabulary facts filled in, for the audit trail. */
  auditMessage: (scope: Scope) => string;
}

export interface PolicySet {
  /** `sha256:<hex>` of the policy files' bytes, recorded with every decision. */
  version: string;
  dir: string;
  purposes: ReadonlyMap<string, PurposeEntry>;
  categories: ReadonlyMap<string, CategoryFacts>;
  platform: PlatformFacts;
  budgets: { default: Budget; byPurpose: ReadonlyMap<string, Budget> };
  rules: readonly CompiledRule[];
  /** The same rules, pre-filtered per stage so a decision never looks at a rule twice. */
  rulesByStage: Readonly<Record<Stage, readonly CompiledRule[]>>;
  /** Reminder, expiry-notice and deletion periods (policies/after-consent.yaml). */
  afterConsent: AfterConsent;
}

export interface AfterConsent {
  reminderDays: number;
  expiryNoticeDays: number;
  deletion: { maxDays: number; suspendOtherGrantsWhenOverdue: boolean };
}

export function purposeOf(set: PolicySet, id: string): PurposeEntry | undefined {
  return set.purposes.get(id);
}

/** An unknown category counts as sensitive: fail closed. */
export function isSensitive(set: PolicySet, category: string): boolean {
  return set.categories.get(category)?.sensitive ?? true;
}

export function budgetFor(set: PolicySet, purpose: string): Budget {
  return set.budgets.byPurpose.get(purpose) ?? set.budgets.default;
}

/**
 * The longest grant the platform allows for this purpose and these categories, so the consent
 * screen can offer it as the upper bound. 0 when the purpose or a category is unknown.
 * Mirrors the duration rules in rules.yaml; a test keeps the two in agreement.
 */
export function maxDurationDays(set: PolicySet, purpose: string, categories: readonly string[]): number {
  const entry = set.purposes.get(purpose);
  if (!entry) return 0;
  let max = entry.maxDurationDays;
  for (const c of categories) {
    const facts = set.categories.get(c);
    if (!facts) return 0;
    if (facts.maxDurationDays !== undefined && facts.maxDurationDays < max) max = facts.maxDurationDays;
  }
  return max;
}
