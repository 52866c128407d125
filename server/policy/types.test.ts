import { describe, expect, it } from 'vitest';
import { companyTermsSchema, customerCriteriaSchema } from './types.ts';

describe('customer criteria and company terms schemas', () => {
  it('when criteria are {}, then they parse to open criteria', () => {
    expect(customerCriteriaSchema.parse({})).toEqual({
      benefitRequiredForMarketing: false,
      refusedPurposes: [],
      requiredValueTags: [],
      blockedCompanies: [],
      autoApprove: [],
      recordsNeverFrom: [],
      purchasesOnlyForFinancialBenefit: false,
    });
  });

  it('when an auto-approve rule omits actions, then it defaults to read only', () => {
    const parsed = customerCriteriaSchema.parse({
      autoApprove: [{ purposes: ['order-fulfilment'], categories: ['contact'], maxDurationDays: 30 }],
    });
    expect(parsed.autoApprove[0]?.actions).toEqual(['read']);
  });

  it.each<[string, unknown]>([
    ['an unknown key', { maxRetention: 30 }],
    ['a negative retention', { maxRetentionDays: -1 }],
    [
      'an unknown category in an auto-approve rule',
      { autoApprove: [{ purposes: ['billing'], categories: ['tarot'], maxDurationDays: 3 }] },
    ],
    ['a purpose id that is not kebab-case', { refusedPurposes: ['Marketing'] }],
  ])('when criteria have %s, then they are rejected', (_name, input) => {
    expect(customerCriteriaSchema.safeParse(input).success).toBe(false);
  });

  it('when terms give only purposes and retention, then the rest defaults to no sharing and no benefit', () => {
    expect(companyTermsSchema.parse({ purposes: ['billing'], retentionDays: 30 })).toEqual({
      purposes: ['billing'],
      retentionDays: 30,
      sharesOnward: false,
      onwardSharingDisclosed: false,
      benefit: { kind: 'none' },
      valueTags: [],
    });
  });

  it.each<[string, unknown]>([
    ['no purposes', { purposes: [], retentionDays: 30 }],
    ['a fractional retention', { purposes: ['billing'], retentionDays: 1.5 }],
    ['an unknown benefit kind', { purposes: ['billing'], retentionDays: 1, benefit: { kind: 'hugs' } }],
  ])('when terms have %s, then they are rejected', (_name, input) => {
    expect(companyTermsSchema.safeParse(input).success).toBe(false);
  });
});
