import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.ts';
import { loadPolicySet } from './load.ts';
import { copyPolicies, passingFacts, POLICIES_DIR } from '../../test/support/policy-fixtures.ts';
import type { DecisionFacts } from './types.ts';

const set = loadPolicySet(POLICIES_DIR);
const codes = (facts: DecisionFacts) => evaluate(facts, set).reasons.map((r) => r.code);

describe('evaluate', () => {
  it('when a request passes every rule, then it is allowed with no reasons and the policy version', () => {
    expect(evaluate(passingFacts(), set)).toEqual({
      allow: true,
      reasons: [],
      policyVersion: set.version,
      autoApprove: false,
    });
  });

  it('when marketing is asked without a benefit, then it is refused with a reason the company can read', () => {
    const facts = passingFacts();
    facts.request = { ...facts.request, purpose: 'marketing', categories: ['contact'] };
    facts.company.terms.benefit = { kind: 'none' };
    expect(evaluate(facts, set)).toMatchObject({
      allow: false,
      reasons: [
        {
          code: 'BENEFIT_REQUIRED',
          ruleId: 'benefit-required-by-purpose',
          source: 'platform',
          effect: 'deny',
          message: '"marketing" requires the company to offer you a benefit, and it offers none.',
        },
      ],
    });
  });

  it('when a health field is asked for longer than the sensitive limit, then it is refused naming the limit', () => {
    const facts = passingFacts();
    facts.request = {
      ...facts.request,
      purpose: 'research',
      fields: ['allergies'],
      categories: ['health'],
      durationDays: 45,
    };
    facts.company.terms.benefit = { kind: 'payment' };
    const decision = evaluate(facts, set);
    expect(decision.allow).toBe(false);
    expect(decision.reasons.find((r) => r.code === 'SENSITIVE_DURATION_EXCEEDED')?.message).toBe(
      'health is sensitive and may be shared for at most 30 days; 45 were asked.',
    );
  });

  it("when the company retains longer than the customer allows, then the reason is marked as the customer's", () => {
    const facts = passingFacts();
    facts.customer.criteria.maxRetentionDays = 30;
    expect(evaluate(facts, set).reasons).toEqual([
      {
        code: 'RETENTION_OVER_CUSTOMER_MAX',
        ruleId: 'retention-over-customer-max',
        source: 'customer',
        effect: 'deny',
        message: 'The company keeps data for 90 days; you allow at most 30.',
      },
    ]);
  });

  it('when a reason quotes text a company or customer typed, then its audit message keeps only the fact names', () => {
    const facts = passingFacts();
    facts.request.purpose = 'jane-roe-hiv-positive';
    const [unknown] = evaluate(facts, set).reasons;
    expect(unknown?.message).toContain('jane-roe-hiv-positive');
    expect(unknown?.auditMessage).toBe('"{request.purpose}" is not a registered purpose.');
  });

  it('when every customer criterion fails, then every customer reason has source customer', () => {
    const facts = passingFacts();
    facts.request = { ...facts.request, purpose: 'marketing', categories: ['contact'] };
    facts.company.terms.benefit = { kind: 'none' };
    facts.customer.criteria = {
      maxRetentionDays: 1,
      benefitRequiredForMarketing: true,
      refusedPurposes: ['marketing'],
      requiredValueTags: ['b-corp'],
      blockedCompanies: [],
      autoApprove: [],
    };
    const customer = evaluate(facts, set)
      .reasons.filter((r) => r.source === 'customer')
      .map((r) => r.code);
    expect(customer.sort()).toEqual([
      'BENEFIT_REQUIRED_BY_CUSTOMER',
      'PURPOSE_REFUSED_BY_CUSTOMER',
      'RETENTION_OVER_CUSTOMER_MAX',
      'VALUE_TAGS_MISSING',
    ]);
  });

  it('when a request matches an auto-approve rule, then it is auto-approved only at the request stage', () => {
    const facts = passingFacts();
    facts.customer.criteria.autoApprove = [
      { purposes: ['order-fulfilment'], categories: ['contact', 'address'], actions: ['read'], maxDurationDays: 30 },
    ];
    expect(evaluate(facts, set).autoApprove).toBe(true);
    expect(evaluate({ ...facts, stage: 'approve' }, set).autoApprove).toBe(false);
    expect(evaluate({ ...facts, stage: 'read', usage: { readsLastHour: 0, readsLastDay: 0 } }, set)).toMatchObject({
      allow: true,
      autoApprove: false,
    });
  });

  it('when an auto-approve rule covers a sensitive category, then the request still waits for the customer', () => {
    const facts = passingFacts();
    facts.request = { ...facts.request, purpose: 'fraud-prevention', categories: ['identity'], durationDays: 7 };
    facts.customer.criteria.autoApprove = [
      { purposes: ['fraud-prevention'], categories: ['identity'], actions: ['read'], maxDurationDays: 30 },
    ];
    expect(evaluate(facts, set)).toMatchObject({
      allow: true,
      autoApprove: false,
      reasons: [{ code: 'CATEGORY_NEEDS_CUSTOMER_APPROVAL', effect: 'require-approval' }],
    });
  });

  it('when policies allow auto-approving sensitive data, then the flag is not raised', () => {
    const lenient = loadPolicySet(
      copyPolicies({ file: 'categories.yaml', change: (t) => t.replace('autoApprove: false', 'autoApprove: true') }),
    );
    const facts = passingFacts();
    facts.request = { ...facts.request, purpose: 'fraud-prevention', categories: ['identity'], durationDays: 7 };
    facts.customer.criteria.autoApprove = [
      { purposes: ['fraud-prevention'], categories: ['identity'], actions: ['read'], maxDurationDays: 30 },
    ];
    expect(evaluate(facts, lenient)).toMatchObject({ allow: true, autoApprove: true, reasons: [] });
  });

  it('when the company is blocked, then only the block is reported (halt)', () => {
    const facts = passingFacts();
    facts.customer.criteria.blockedCompanies = ['acme'];
    facts.company.terms.retentionDays = 5000;
    expect(codes(facts)).toEqual(['COMPANY_BLOCKED_BY_CUSTOMER']);
  });

  it('when two categories break the same rule, then there is one reason per category', () => {
    const facts = passingFacts();
    facts.request = { ...facts.request, categories: ['health', 'location'] };
    const reasons = evaluate(facts, set).reasons.filter((r) => r.code === 'CATEGORY_NOT_ALLOWED_FOR_PURPOSE');
    expect(reasons.map((r) => r.message)).toEqual([
      'health data may not be used for order-fulfilment.',
      'location data may not be used for order-fulfilment.',
    ]);
  });

  it('when a category is unknown at run time, then it is refused as sensitive with no allowed duration', () => {
    const facts = passingFacts();
    facts.request = { ...facts.request, categories: ['contact', 'tarot' as never] };
    expect(codes(facts)).toEqual([
      'CATEGORY_NOT_ALLOWED_FOR_PURPOSE',
      'SENSITIVE_DURATION_EXCEEDED',
      'CATEGORY_NEEDS_CUSTOMER_APPROVAL',
    ]);
  });

  it('when a read arrives without usage counters, then it fails closed', () => {
    expect(codes({ ...passingFacts(), stage: 'read' })).toEqual(['USAGE_UNKNOWN']);
  });

  it('when the same facts are evaluated twice, then the decisions are equal and the facts are not changed', () => {
    const facts = passingFacts({ stage: 'read', usage: { readsLastHour: 100, readsLastDay: 100 } });
    const before = structuredClone(facts);
    expect(evaluate(facts, set)).toEqual(evaluate(facts, set));
    expect(facts).toEqual(before);
  });

  it('when the policy files change, then decisions carry the new version', () => {
    const other = loadPolicySet(
      copyPolicies({ file: 'budgets.yaml', change: (t) => t.replace('readsPerDay: 500', 'readsPerDay: 400') }),
    );
    expect(evaluate(passingFacts(), other).policyVersion).toBe(other.version);
    expect(other.version).not.toBe(set.version);
  });
});
