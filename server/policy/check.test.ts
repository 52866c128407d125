import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicies } from './check.ts';
import { copyPolicies, POLICIES_DIR } from '../../test/support/policy-fixtures.ts';

describe('checkPolicies (npm run vault -- policies check)', () => {
  it('when policies/ is valid and covered, then it reports ok with the version and rule count', () => {
    const result = checkPolicies(POLICIES_DIR);
    expect(result).toMatchObject({ ok: true, version: expect.stringMatching(/^sha256:/) });
    expect(result.rules).toBeGreaterThan(10);
    expect(result.message).toMatch(/rules, \d+ cases, version sha256:[0-9a-f]+: ok$/);
  });

  it('when a file is malformed, then it reports the file, the path and the reason', () => {
    const dir = copyPolicies({
      file: 'categories.yaml',
      change: (t) => t.replace('maxDurationDays: 30', 'maxDurationDays: thirty'),
    });
    expect(checkPolicies(dir)).toMatchObject({
      ok: false,
      rules: 0,
      message: `${join(dir, 'categories.yaml')}: sensitive.maxDurationDays: Invalid input: expected number, received string`,
    });
  });

  it('when a case fails, then it reports the case by file and name', () => {
    const dir = copyPolicies({
      file: 'tests/usage.yaml',
      change: (t) => t.replace('reasons: [USAGE_BUDGET_DAY_EXCEEDED]', 'reasons: []'),
    });
    const result = checkPolicies(dir);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(
      /usage\.yaml: "when a marketing grant has used its daily budget, then the read is refused": reasons are \[USAGE_BUDGET_DAY_EXCEEDED\], expected \[\]$/m,
    );
  });
});
