import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPolicySet, PolicyLoadError } from './load.ts';
import { copyPolicies, POLICIES_DIR } from '../../test/support/policy-fixtures.ts';

/** 'rules[#usage-unknown].reason' -> 'rules[17].reason', so reordering a file breaks no test. */
function indexById(file: string, path: string): string {
  const data = parse(readFileSync(join(POLICIES_DIR, file), 'utf8')) as Record<string, { id: string }[]>;
  return path.replace(/^(\w+)\[#([\w-]+)\]/, (_m, list: string, id: string) => {
    const i = (data[list] ?? []).findIndex((x) => x.id === id);
    if (i < 0) throw new Error(`${file} has no ${list} entry "${id}"`);
    return `${list}[${i}]`;
  });
}

function loadError(dir: string): PolicyLoadError {
  try {
    loadPolicySet(dir);
  } catch (err) {
    if (err instanceof PolicyLoadError) return err;
    throw err;
  }
  throw new Error('expected loadPolicySet to throw');
}

describe('loadPolicySet', () => {
  it('when policies/ is valid, then every file is loaded with a sha256 version', () => {
    const set = loadPolicySet(POLICIES_DIR);
    expect(set.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(set.purposes.has('order-fulfilment')).toBe(true);
    expect(set.platform.sensitiveCategories.sort()).toEqual(['financial', 'health', 'identity', 'location']);
    expect(set.rules.length).toBeGreaterThan(10);
  });

  it('when the same files are loaded twice, then the version is the same', () => {
    expect(loadPolicySet(POLICIES_DIR).version).toBe(loadPolicySet(copyPolicies()).version);
  });

  it('when one byte of a policy file changes, then the version changes', () => {
    const dir = copyPolicies({
      file: 'budgets.yaml',
      change: (t) => t.replace('readsPerHour: 60', 'readsPerHour: 61'),
    });
    expect(loadPolicySet(dir).version).not.toBe(loadPolicySet(POLICIES_DIR).version);
  });

  it('when only a test case changes, then the version does not change', () => {
    const dir = copyPolicies({ file: 'tests/usage.yaml', change: (t) => `${t}\n# a comment\n` });
    expect(loadPolicySet(dir).version).toBe(loadPolicySet(POLICIES_DIR).version);
  });

  it.each<[string, string, (t: string) => string, string, RegExp]>([
    [
      'a field of the wrong type',
      'purposes.yaml',
      (t) =>
        t.replace(
          'maxDurationDays: 180\n    benefitRequired: true',
          'maxDurationDays: "half a year"\n    benefitRequired: true',
        ),
      'purposes[#marketing].maxDurationDays',
      /expected number/,
    ],
    [
      'an unknown category in a purpose',
      'purposes.yaml',
      (t) => t.replace('[contact, address, purchases]', '[contact, adress, purchases]'),
      'purposes[#order-fulfilment].categories[1]',
      /Invalid option/,
    ],
    [
      'an unknown key',
      'budgets.yaml',
      (t) => t.replace('readsPerDay: 500', 'readsPerDay: 500\n  readsPerWeek: 9'),
      'default',
      /readsPerWeek/,
    ],
    [
      'a rule over an unknown fact',
      'rules.yaml',
      (t) =>
        t.replace(
          'gt: [company.terms.retentionDays, { fact: platform.maxRetentionDays }]',
          'gt: [company.terms.retentiondays, { fact: platform.maxRetentionDays }]',
        ),
      'rules[#retention-over-platform-max].when.gt[0]',
      /unknown fact "company.terms.retentiondays"/,
    ],
    [
      'a rule comparing a number with a string',
      'rules.yaml',
      (t) => t.replace('lt: [request.durationDays, 1]', 'lt: [request.durationDays, "1"]'),
      'rules[#duration-not-positive].when.lt',
      /lt compares a number fact with a number value/,
    ],
    [
      'a condition with two operators',
      'rules.yaml',
      (t) =>
        t.replace(
          'when: { lt: [request.durationDays, 1] }',
          'when: { lt: [request.durationDays, 1], gt: [request.durationDays, 9] }',
        ),
      'rules[#duration-not-positive].when',
      /exactly one operator/,
    ],
    [
      'a message with an unknown placeholder',
      'rules.yaml',
      (t) => t.replace('{platform.maxRetentionDays}.', '{platform.maxRetention}.'),
      'rules[#retention-over-platform-max].message',
      /unknown fact "platform.maxRetention"/,
    ],
    [
      'a duplicate rule id',
      'rules.yaml',
      (t) => t.replace('id: daily-budget', 'id: hourly-budget'),
      'rules[#daily-budget].id',
      /duplicate id "hourly-budget"/,
    ],
    [
      'a reason code that is not UPPER_SNAKE',
      'rules.yaml',
      (t) => t.replace('reason: USAGE_UNKNOWN', 'reason: usage-unknown'),
      'rules[#usage-unknown].reason',
      /UPPER_SNAKE/,
    ],
    [
      'a budget for an unregistered purpose',
      'budgets.yaml',
      (t) => t.replace('  marketing:', '  marketting:'),
      'purposes.marketting',
      /unknown purpose "marketting"/,
    ],
    [
      'a missing category',
      'categories.yaml',
      (t) => t.replace(/ {2}- id: devices\n.*\n.*\n/, ''),
      'categories',
      /missing categories: devices/,
    ],
    [
      'a sensitive category allowed longer than the sensitive limit',
      'categories.yaml',
      (t) =>
        t.replace(
          'Allergies, conditions, measurements.\n    sensitive: true',
          'Allergies, conditions, measurements.\n    sensitive: true\n    maxDurationDays: 90',
        ),
      'categories[#health].maxDurationDays',
      /cannot allow more than sensitive.maxDurationDays \(30\)/,
    ],
    [
      'a forbidden purpose in the registry',
      'purposes.yaml',
      (t) => t.replace('id: billing', 'id: resale'),
      'purposes[#billing].id',
      /"resale" is a forbidden purpose/,
    ],
  ])(
    'when a file has %s, then loading fails naming the file, the path and the reason',
    (_name, file, change, path, reason) => {
      const dir = copyPolicies({ file, change });
      const err = loadError(dir);
      expect(err.file).toBe(join(dir, file));
      path = indexById(file, path);
      expect(err.path).toBe(path);
      expect(err.reason).toMatch(reason);
      expect(err.message).toBe(`${join(dir, file)}: ${path}: ${err.reason}`);
    },
  );

  it("when a platform rule quotes the customer's criteria, then loading fails: companies see platform reasons as they are", () => {
    const dir = copyPolicies({
      file: 'rules.yaml',
      change: (t) =>
        t.replace(
          'message: The company shares data onward without disclosing it in its terms.',
          'message: The company shares data onward; the customer requires {customer.criteria.requiredValueTags}.',
        ),
    });
    const err = loadError(dir);
    expect(err.path).toBe(indexById('rules.yaml', 'rules[#undisclosed-onward-sharing]'));
    expect(err.message).toMatch(/platform rule must not use customer facts/);
  });

  it('when a file is not valid YAML, then loading fails with the line of the syntax error', () => {
    const dir = copyPolicies({ file: 'forbidden.yaml', change: (t) => t.replace('  - id: resale', '  - id: [resale') });
    const err = loadError(dir);
    expect(err.file).toBe(join(dir, 'forbidden.yaml'));
    expect(err.path).toMatch(/^line \d+, column \d+$/);
    expect(err.reason).toMatch(/YAML syntax error/);
  });

  it('when a file has a duplicate key, then loading fails', () => {
    const dir = copyPolicies({
      file: 'budgets.yaml',
      change: (t) => t.replace('readsPerDay: 500', 'readsPerDay: 500\n  readsPerDay: 5'),
    });
    expect(loadError(dir).reason).toMatch(/YAML syntax error.*[Uu]nique|duplicate/i);
  });

  it('when a file is missing, then loading fails naming it', () => {
    const dir = copyPolicies();
    rmSync(join(dir, 'rules.yaml'));
    expect(loadError(dir).message).toBe(`${join(dir, 'rules.yaml')}: file is missing`);
  });

  it('when a file is empty, then loading fails naming the missing top-level field', () => {
    const dir = copyPolicies({ file: 'purposes.yaml', change: () => '# nothing yet\n' });
    const err = loadError(dir);
    expect(err.path).toBe('purposes');
    expect(err.reason).toMatch(/expected array/);
  });

  it('when a file has several problems, then the first is named and the rest counted', () => {
    const dir = copyPolicies({
      file: 'budgets.yaml',
      change: (t) => t.replace('readsPerHour: 60', 'readsPerHour: -1').replace('readsPerDay: 500', 'readsPerDay: lots'),
    });
    expect(loadError(dir).message).toMatch(/budgets\.yaml: default\.readsPerHour: .* \(and 1 more problem\)$/);
  });
});
