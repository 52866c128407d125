import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.ts';
import { budgetFor, isSensitive, loadPolicySet, maxDurationDays, purposeOf } from './load.ts';
import { passingFacts, POLICIES_DIR } from '../../test/support/policy-fixtures.ts';
import { CATEGORIES, type Category } from './types.ts';

const set = loadPolicySet(POLICIES_DIR);
const DURATION_CODES = ['DURATION_OVER_PURPOSE_MAX', 'SENSITIVE_DURATION_EXCEEDED', 'CATEGORY_DURATION_EXCEEDED'];

describe('the policy registry', () => {
  it('when a purpose is registered, then purposeOf returns its entry; otherwise undefined', () => {
    expect(purposeOf(set, 'marketing')).toMatchObject({
      id: 'marketing',
      benefitRequired: true,
      marketing: true,
      actions: ['read'],
    });
    expect(purposeOf(set, 'resale')).toBeUndefined();
  });

  it('when a category is asked about, then the four named in policies/categories.yaml are sensitive and unknown ones count as sensitive', () => {
    expect(CATEGORIES.filter((c) => isSensitive(set, c)).sort()).toEqual([
      'financial',
      'health',
      'identity',
      'location',
    ]);
    expect(isSensitive(set, 'tarot')).toBe(true);
  });

  it('when a purpose has its own budget, then it is used; otherwise the default', () => {
    expect(budgetFor(set, 'marketing')).toEqual({ readsPerHour: 10, readsPerDay: 50 });
    expect(budgetFor(set, 'billing')).toEqual({ readsPerHour: 60, readsPerDay: 500 });
  });

  it('when the consent screen asks for the longest duration, then sensitive and category limits clamp the purpose maximum', () => {
    expect(maxDurationDays(set, 'fraud-prevention', ['contact'])).toBe(90);
    expect(maxDurationDays(set, 'fraud-prevention', ['contact', 'financial'])).toBe(30);
    expect(maxDurationDays(set, 'research', ['demographics'])).toBe(180);
    expect(maxDurationDays(set, 'astrology', ['contact'])).toBe(0);
    expect(maxDurationDays(set, 'billing', ['tarot'])).toBe(0);
  });

  // The clamp is code and the duration rules are data: this keeps the two in agreement for
  // every registered purpose and each of its categories.
  it('when a request asks for exactly the clamped maximum, then no duration rule fires, and one day more does', () => {
    for (const purpose of set.purposes.values()) {
      for (const category of purpose.categories) {
        const max = maxDurationDays(set, purpose.id, [category]);
        const facts = (durationDays: number) => {
          const f = passingFacts({ stage: 'approve' });
          f.request = { ...f.request, purpose: purpose.id, categories: [category as Category], durationDays };
          f.company.terms.purposes = [purpose.id];
          return evaluate(f, set)
            .reasons.map((r) => r.code)
            .filter((c) => DURATION_CODES.includes(c));
        };
        expect(facts(max), `${purpose.id}/${category} at ${max}`).toEqual([]);
        expect(facts(max + 1).length, `${purpose.id}/${category} at ${max + 1}`).toBeGreaterThan(0);
      }
    }
  });
});
