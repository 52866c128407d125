import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { policyJsonSchemaText } from './json-schema.ts';
import { POLICIES_DIR } from '../../test/support/policy-fixtures.ts';

const committed = readFileSync(join(POLICIES_DIR, 'schema.json'), 'utf8');
const published = (name: string) => z.fromJSONSchema({ ...JSON.parse(committed), $ref: `#/$defs/${name}` });
const yamlOf = (file: string) => parse(readFileSync(join(POLICIES_DIR, file), 'utf8')) as unknown;

describe('policies/schema.json', () => {
  it('when the zod schemas change, then the committed schema.json is regenerated (npx tsx server/policy/json-schema.ts)', () => {
    expect(committed).toBe(policyJsonSchemaText());
  });

  it.each([['purposes'], ['categories'], ['forbidden'], ['budgets'], ['rules']])(
    'when %s.yaml is checked against the published schema, then it is valid',
    (name) => {
      const result = published(name).safeParse(yamlOf(`${name}.yaml`));
      expect(result.error?.issues ?? []).toEqual([]);
    },
  );

  it('when the test case files are checked against the published schema, then they are valid', () => {
    for (const file of readdirSync(join(POLICIES_DIR, 'tests')).filter((f) => f.endsWith('.yaml'))) {
      expect(published('cases').safeParse(yamlOf(`tests/${file}`)).success, file).toBe(true);
    }
  });

  it('when a rule uses an unknown fact or two operators, then the published schema rejects it', () => {
    const rule = { id: 'x', effect: 'deny', source: 'platform', reason: 'X', message: 'm' };
    expect(published('rules').safeParse({ rules: [{ ...rule, when: { gt: ['request.duration', 1] } }] }).success).toBe(
      false,
    );
    expect(
      published('rules').safeParse({ rules: [{ ...rule, when: { lt: ['stage', 1], gt: ['stage', 1] } }] }).success,
    ).toBe(false);
    expect(
      published('rules').safeParse({ rules: [{ ...rule, when: { all: [{ exists: 'usage.readsLastDay' }] } }] }).success,
    ).toBe(true);
  });
});
