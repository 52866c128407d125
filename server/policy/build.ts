// Turns validated policy files into a PolicySet: checks what one file says about another
// (a budget for an unregistered purpose, a forbidden purpose in the registry, ...), derives the
// facts rules can see, and compiles every rule once so decisions do no parsing.
import { compileAuditTemplate, compileCondition, compileTemplate, ConditionError } from './conditions.ts';
import { PolicyLoadError } from './errors.ts';
import type { Budget, CategoryFacts, PlatformFacts } from './facts.ts';
import type { PolicyFiles } from './files.ts';
import type { CompiledRule, PolicySet, PurposeEntry } from './registry.ts';
import { CATEGORIES, STAGES, type Category, type Stage } from './types.ts';

function duplicates<T>(file: string, list: readonly T[], key: (x: T) => string, at: (i: number) => string): void {
  const seen = new Set<string>();
  list.forEach((x, i) => {
    const k = key(x);
    if (seen.has(k)) throw new PolicyLoadError(file, at(i), `duplicate id "${k}"`);
    seen.add(k);
  });
}

function buildCategories(dir: string, f: PolicyFiles['categories.yaml']): Map<string, CategoryFacts> {
  const file = `${dir}/categories.yaml`;
  duplicates(
    file,
    f.categories,
    (c) => c.id,
    (i) => `categories[${i}].id`,
  );
  // Every category a profile field can belong to must be classified: an unlisted one would
  // otherwise slip past the sensitive limits.
  const missing = CATEGORIES.filter((c) => !f.categories.some((x) => x.id === c));
  if (missing.length) throw new PolicyLoadError(file, 'categories', `missing categories: ${missing.join(', ')}`);
  const out = new Map<string, CategoryFacts>();
  f.categories.forEach((c, i) => {
    if (c.sensitive && c.maxDurationDays !== undefined && c.maxDurationDays > f.sensitive.maxDurationDays) {
      throw new PolicyLoadError(
        file,
        `categories[${i}].maxDurationDays`,
        `a sensitive category cannot allow more than sensitive.maxDurationDays (${f.sensitive.maxDurationDays})`,
      );
    }
    const max = c.sensitive ? (c.maxDurationDays ?? f.sensitive.maxDurationDays) : c.maxDurationDays;
    out.set(c.id, {
      id: c.id,
      known: true,
      sensitive: c.sensitive,
      ...(max === undefined ? {} : { maxDurationDays: max }),
      autoApprove: c.sensitive ? f.sensitive.autoApprove : true,
    });
  });
  return out;
}

function buildPurposes(dir: string, files: PolicyFiles): Map<string, PurposeEntry> {
  const file = `${dir}/purposes.yaml`;
  const list = files['purposes.yaml'].purposes;
  duplicates(
    file,
    list,
    (p) => p.id,
    (i) => `purposes[${i}].id`,
  );
  duplicates(
    `${dir}/forbidden.yaml`,
    files['forbidden.yaml'].purposes,
    (p) => p.id,
    (i) => `purposes[${i}].id`,
  );
  const forbidden = new Set(files['forbidden.yaml'].purposes.map((p) => p.id));
  const out = new Map<string, PurposeEntry>();
  list.forEach((p, i) => {
    if (forbidden.has(p.id)) {
      throw new PolicyLoadError(file, `purposes[${i}].id`, `"${p.id}" is a forbidden purpose (forbidden.yaml)`);
    }
    out.set(p.id, { ...p, known: true });
  });
  return out;
}

function buildBudgets(dir: string, f: PolicyFiles['budgets.yaml'], purposes: ReadonlyMap<string, unknown>) {
  const byPurpose = new Map<string, Budget>();
  for (const [id, budget] of Object.entries(f.purposes)) {
    if (!purposes.has(id))
      throw new PolicyLoadError(`${dir}/budgets.yaml`, `purposes.${id}`, `unknown purpose "${id}" (purposes.yaml)`);
    byPurpose.set(id, budget);
  }
  return { default: f.default, byPurpose };
}

function compileRules(dir: string, f: PolicyFiles['rules.yaml']): CompiledRule[] {
  const file = `${dir}/rules.yaml`;
  duplicates(
    file,
    f.rules,
    (r) => r.id,
    (i) => `rules[${i}].id`,
  );
  return f.rules.map((r, i): CompiledRule => {
    // A platform reason is shown to companies as it is (policy/for-company.ts): it must not test or quote
    // the customer's criteria, or it would reveal them.
    if (r.source === 'platform' && /\bcustomer\./.test(JSON.stringify([r.when, r.message])))
      throw new PolicyLoadError(
        file,
        `rules[${i}]`,
        'a platform rule must not use customer facts (use source: customer)',
      );
    const ctx = { forEach: r.forEach };
    try {
      return {
        id: r.id,
        effect: r.effect,
        source: r.source,
        stages: [...new Set(r.stages)],
        forEach: r.forEach,
        halt: r.halt,
        reason: r.reason,
        when: compileCondition(r.when, `rules[${i}].when`, ctx),
        message: compileTemplate(r.message, `rules[${i}].message`, ctx),
        auditMessage: compileAuditTemplate(r.message, `rules[${i}].message`, ctx),
      };
    } catch (err) {
      if (err instanceof ConditionError) throw new PolicyLoadError(file, err.path, err.reason);
      throw err;
    }
  });
}

export function buildPolicySet(dir: string, version: string, files: PolicyFiles): PolicySet {
  const categories = buildCategories(dir, files['categories.yaml']);
  const purposes = buildPurposes(dir, files);
  const budgets = buildBudgets(dir, files['budgets.yaml'], purposes);
  const rules = compileRules(dir, files['rules.yaml']);
  const forbidden = files['forbidden.yaml'];
  const platform: PlatformFacts = {
    forbiddenPurposes: forbidden.purposes.map((p) => p.id),
    maxRetentionDays: forbidden.practices.maxRetentionDays,
    forbidsUndisclosedOnwardSharing: forbidden.practices.undisclosedOnwardSharing === 'forbidden',
    sensitiveCategories: [...categories.values()].filter((c) => c.sensitive).map((c) => c.id as Category),
  };
  const rulesByStage = Object.fromEntries(
    STAGES.map((stage) => [stage, rules.filter((r) => r.stages.includes(stage))]),
  ) as Record<Stage, CompiledRule[]>;
  return {
    version,
    dir,
    purposes,
    categories,
    platform,
    budgets,
    rules,
    rulesByStage,
    afterConsent: files['after-consent.yaml'],
  };
}
