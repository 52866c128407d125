import { describe, expect, it } from 'vitest';
import type { CompanyTerms } from '../policy/types.ts';
import { describeWorsening, termsWorsened } from './terms-change.ts';

const base: CompanyTerms = {
  purposes: ['order-fulfilment'],
  retentionDays: 90,
  sharesOnward: true,
  onwardSharingDisclosed: true,
  benefit: { kind: 'discount', description: '10%' },
  valueTags: ['no-resale'],
};

describe('termsWorsened', () => {
  const cases: Array<[string, Partial<CompanyTerms>, string[]]> = [
    ['nothing changed', {}, []],
    ['a shorter retention and a new benefit description', { retentionDays: 30, benefit: { kind: 'payment' } }, []],
    ['a longer retention', { retentionDays: 91 }, ['retention-longer']],
    ['sharing no longer disclosed', { onwardSharingDisclosed: false }, ['sharing-undisclosed']],
    ['the benefit removed', { benefit: { kind: 'none' } }, ['benefit-removed']],
    ['a purpose added and one dropped', { purposes: ['marketing'] }, ['purposes-added']],
    ['a commitment dropped', { valueTags: ['eu-hosting'] }, ['commitments-dropped']],
  ];
  it.each(cases)('when the new terms have %s, then the changes are %j', (_, change, kinds) => {
    expect(termsWorsened(base, { ...base, ...change }).map((w) => w.kind)).toEqual(kinds);
  });

  it('when sharing is added, then that is one change, not also "undisclosed"', () => {
    const before = { ...base, sharesOnward: false, onwardSharingDisclosed: true };
    const after = { ...base, sharesOnward: true, onwardSharingDisclosed: false };
    expect(termsWorsened(before, after).map(describeWorsening)).toEqual(['it now shares your data with others']);
  });
});
