// Runs the policy test cases in policies/tests/*.yaml (facts -> expected decision and reason
// codes) and reports every rule that is not exercised by at least one case where it denies
// and one allowed case where it was evaluated and held back. Used by the vitest runner and by
// `npm run vault -- policies check`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyLoadError, formatPath } from './errors.ts';
import { evaluateTraced } from './evaluate.ts';
import { casesFileSchema } from './files.ts';
import { parseYaml, readText, validate } from './load.ts';
import type { PolicySet } from './registry.ts';
import { decisionFactsSchema, type DecisionFacts } from './types.ts';

export interface PolicyCase {
  file: string;
  name: string;
  facts: DecisionFacts;
  expect: { allow: boolean; reasons: string[]; autoApprove?: boolean | undefined };
}

export interface CaseFailure {
  file: string;
  name: string;
  problem: string;
}
export interface UncoveredRule {
  ruleId: string;
  missing: ('allow' | 'deny')[];
}
export interface CaseReport {
  cases: number;
  failures: CaseFailure[];
  uncovered: UncoveredRule[];
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Objects merge key by key; arrays and scalars in `over` replace those in `base`; null removes. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = deepMerge(base[k], v);
  }
  return out;
}

export function loadPolicyCases(dir = 'policies'): PolicyCase[] {
  const testsDir = join(dir, 'tests');
  let names: string[];
  try {
    names = readdirSync(testsDir)
      .filter((n) => n.endsWith('.yaml'))
      .sort();
  } catch {
    throw new PolicyLoadError(testsDir, '', 'folder of policy test cases is missing');
  }
  return names.flatMap((name) => {
    const file = join(testsDir, name);
    const spec = validate(file, casesFileSchema, parseYaml(file, readText(file)));
    return spec.cases.map((c, i): PolicyCase => {
      const parsed = decisionFactsSchema.safeParse(deepMerge(spec.base, c.facts));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new PolicyLoadError(
          file,
          `cases[${i}] facts (merged with base): ${formatPath(issue?.path ?? [])}`,
          issue?.message ?? 'invalid',
        );
      }
      return { file, name: c.name, facts: parsed.data, expect: c.expect };
    });
  });
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

export function runPolicyCases(cases: readonly PolicyCase[], set: PolicySet): CaseReport {
  const failures: CaseFailure[] = [];
  const denies = new Set<string>();
  const allows = new Set<string>();
  for (const c of cases) {
    const { decision, trace } = evaluateTraced(c.facts, set);
    const got = sorted(decision.reasons.map((r) => r.code));
    const want = sorted(c.expect.reasons);
    const problems: string[] = [];
    if (decision.allow !== c.expect.allow) problems.push(`allow is ${decision.allow}, expected ${c.expect.allow}`);
    if (got.join() !== want.join()) problems.push(`reasons are [${got.join(', ')}], expected [${want.join(', ')}]`);
    if (c.expect.autoApprove !== undefined && decision.autoApprove !== c.expect.autoApprove) {
      problems.push(`autoApprove is ${decision.autoApprove}, expected ${c.expect.autoApprove}`);
    }
    if (problems.length) failures.push({ file: c.file, name: c.name, problem: problems.join('; ') });
    for (const id of trace.fired) denies.add(id);
    if (decision.allow) for (const id of trace.evaluated) if (!trace.fired.has(id)) allows.add(id);
  }
  const uncovered = set.rules.flatMap((r): UncoveredRule[] => {
    const missing: ('allow' | 'deny')[] = [];
    if (!allows.has(r.id)) missing.push('allow');
    if (!denies.has(r.id)) missing.push('deny');
    return missing.length ? [{ ruleId: r.id, missing }] : [];
  });
  return { cases: cases.length, failures, uncovered };
}
