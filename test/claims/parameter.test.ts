import { describe, expect, it } from 'vitest';
import { claimDetail } from '../../server/claims/answer.ts';
import { CLAIM_NAMES, claimRequestSchema, type ClaimName } from '../../server/claims/catalogue.ts';
import { COUNTRY_CODES } from '../../server/claims/countries.ts';
import { isFieldName } from '../../server/customers/field-catalogue.ts';

/**
 * The `data.claim` audit event carries the claim's parameter (SECURITY.md, "Company reads"): it must only ever
 * be a closed vocabulary, whatever a company sends. Each claim's accepted parameter, as audited, is one of these.
 */
const CLOSED: Record<ClaimName, (p: string) => boolean> = {
  age_over: (p) => /^\d{1,3}$/.test(p) && Number(p) >= 1 && Number(p) <= 130,
  household_size_at_least: (p) => /^\d{1,2}$/.test(p) && Number(p) >= 1 && Number(p) <= 50,
  income_band_at_least: (p) => /^\d{1,8}$/.test(p) && Number(p) <= 10_000_000,
  country_in: (p) => p.split(',').every((c) => c === 'EU' || COUNTRY_CODES.has(c)),
  postal_code_prefix: (p) => /^[A-Z0-9]{1,5}$/.test(p),
  has_field: (p) => isFieldName(p),
};

const ACCEPTED: [ClaimName, unknown][] = [
  ['age_over', 18],
  ['age_over', 130],
  ['household_size_at_least', 3],
  ['income_band_at_least', 30000],
  ['country_in', ['EU', 'CH']],
  ['postal_code_prefix', '10'],
  ['has_field', 'email'],
];
// What a company might try to smuggle into the trail: each is refused before anything is asked or audited.
const REFUSED: [ClaimName, unknown][] = [
  ['age_over', 'jane.doe@example.com'],
  ['age_over', 18.5],
  ['age_over', 1e9],
  ['household_size_at_least', '3; DROP'],
  ['income_band_at_least', -1],
  ['country_in', ['BE', 'Jane Doe']],
  ['country_in', 'BE'],
  ['postal_code_prefix', 'jane doe'],
  ['postal_code_prefix', '1000AB'],
  ['has_field', 'my secret'],
  ['has_field', { field: 'email' }],
];

describe('the audited claim parameter is a closed vocabulary', () => {
  it('covers every claim of the catalogue', () => {
    expect(Object.keys(CLOSED).sort()).toEqual([...CLAIM_NAMES].sort());
  });

  it.each(ACCEPTED)(
    'when a company asks %s with %j, then the audit detail holds it in its closed form',
    (name, value) => {
      const parsed = claimRequestSchema.parse({ name, value });
      const detail = claimDetail({ claim: parsed, result: true });
      expect(detail.claim).toBe(name);
      expect(CLOSED[name](detail.parameter)).toBe(true);
    },
  );

  it.each(REFUSED)('when a company asks %s with %j, then the catalogue refuses it', (name, value) => {
    expect(claimRequestSchema.safeParse({ name, value }).success).toBe(false);
  });
});
