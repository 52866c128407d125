// Runs every case in policies/tests/*.yaml through the pure evaluator, and fails (naming the
// rules) when a rule in policies/ lacks an allow case or a deny case.
import { describe, expect, it } from 'vitest';
import { loadPolicyCases, runPolicyCases } from './cases.ts';
import { loadPolicySet } from './load.ts';
import { copyPolicies, POLICIES_DIR } from '../../test/support/policy-fixtures.ts';

const set = loadPolicySet(POLICIES_DIR);
const cases = loadPolicyCases(POLICIES_DIR);

describe('policies/tests', () => {
  it.each(cases.map((c) => [`${c.file.split('/').pop()}: ${c.name}`, c] as const))('%s', (_name, c) => {
    const report = runPolicyCases([c], set);
    expect(report.failures).toEqual([]);
  });

  it('when every case has run, then every rule has at least one allow and one deny case', () => {
    const { uncovered } = runPolicyCases(cases, set);
    expect(uncovered.map((u) => `${u.ruleId} (no ${u.missing.join(', no ')} case)`)).toEqual([]);
  });
});

describe('the policy case runner', () => {
  it('when a case expects the wrong reasons, then the runner reports the case and both reason lists', () => {
    const [first] = cases;
    if (!first) throw new Error('no cases');
    const wrong = { ...first, expect: { allow: !first.expect.allow, reasons: ['NOT_A_CODE'] } };
    const { failures } = runPolicyCases([wrong], set);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.problem).toMatch(/allow is .*, expected .*; reasons are \[.*\], expected \[NOT_A_CODE\]/);
  });

  it('when a rule is added without cases, then the runner names it as uncovered', () => {
    const dir = copyPolicies({
      file: 'rules.yaml',
      change: (t) => `${t}
  - id: no-long-terms
    effect: deny
    source: platform
    reason: TERMS_TOO_LONG
    message: Too long.
    when: { gt: [company.termsVersion, 999] }
`,
    });
    const report = runPolicyCases(loadPolicyCases(dir), loadPolicySet(dir));
    expect(report.failures).toEqual([]);
    expect(report.uncovered).toEqual([{ ruleId: 'no-long-terms', missing: ['deny'] }]);
  });

  it('when a case gives facts that are not valid, then loading the cases names the case', () => {
    const dir = copyPolicies({
      file: 'tests/usage.yaml',
      change: (t) => t.replace('durationDays: 90', 'durationDays: ninety'),
    });
    expect(() => loadPolicyCases(dir)).toThrow(
      /usage\.yaml: cases\[0\] facts \(merged with base\): request\.durationDays: .*expected number/,
    );
  });

  it('when a case overrides a fact with null, then the fact is removed', () => {
    const c = cases.find((x) => x.name.includes('usage counters are not supplied'));
    expect(c?.facts.usage).toBeUndefined();
  });
});
