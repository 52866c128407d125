import { describe, expect, it } from 'vitest';
import { compileCondition, compileTemplate, ConditionError } from './conditions.ts';
import type { Scope } from './facts.ts';
import type { Condition } from './files.ts';

const scope = {
  stage: 'read',
  request: {
    purpose: 'marketing',
    fields: ['email'],
    categories: ['contact', 'preferences'],
    actions: ['read'],
    durationDays: 30,
  },
  company: {
    id: 'acme',
    termsVersion: 1,
    terms: {
      purposes: ['marketing'],
      retentionDays: 100,
      sharesOnward: false,
      onwardSharingDisclosed: false,
      benefit: { kind: 'none' },
      valueTags: ['no-resale', 'eu-hosting'],
    },
  },
  customer: {
    criteria: {
      maxRetentionDays: undefined,
      benefitRequiredForMarketing: true,
      refusedPurposes: [],
      requiredValueTags: ['no-resale'],
      blockedCompanies: ['evil'],
      autoApprove: [],
    },
  },
  usage: undefined,
  purpose: {
    id: 'marketing',
    known: true,
    categories: ['contact', 'preferences'],
    actions: ['read'],
    maxDurationDays: 180,
  },
  platform: {
    forbiddenPurposes: ['resale'],
    maxRetentionDays: 730,
    forbidsUndisclosedOnwardSharing: true,
    sensitiveCategories: ['health'],
  },
  budget: { readsPerHour: 10, readsPerDay: 50 },
  category: { id: 'health', known: true, sensitive: true, maxDurationDays: 30, autoApprove: false },
} as unknown as Scope;

const run = (c: unknown) => compileCondition(c as Condition, 'when', { forEach: 'category' })(scope);

describe('condition language', () => {
  it.each<[string, unknown, boolean]>([
    ['eq on a string fact and a literal', { eq: ['request.purpose', 'marketing'] }, true],
    ['eq on a boolean fact', { eq: ['company.terms.sharesOnward', true] }, false],
    ['ne', { ne: ['company.terms.benefit.kind', 'none'] }, false],
    ['lt', { lt: ['request.durationDays', 31] }, true],
    ['lte at the bound', { lte: ['request.durationDays', 30] }, true],
    ['gt at the bound', { gt: ['request.durationDays', 30] }, false],
    ['gte at the bound', { gte: ['request.durationDays', 30] }, true],
    ['gt between two facts', { gt: ['company.terms.retentionDays', { fact: 'platform.maxRetentionDays' }] }, false],
    ['lt between two facts', { lt: ['request.durationDays', { fact: 'purpose.maxDurationDays' }] }, true],
    ['in a literal list', { in: ['request.purpose', ['marketing', 'research']] }, true],
    ['in a list fact', { in: ['company.id', { fact: 'customer.criteria.blockedCompanies' }] }, false],
    ['contains', { contains: ['request.actions', 'read'] }, true],
    ['includesAny', { includesAny: ['request.categories', ['health', 'preferences']] }, true],
    [
      'includesAny with no overlap',
      { includesAny: ['request.categories', { fact: 'platform.sensitiveCategories' }] },
      false,
    ],
    [
      'includesAll',
      { includesAll: ['company.terms.valueTags', { fact: 'customer.criteria.requiredValueTags' }] },
      true,
    ],
    ['includesAll missing one', { includesAll: ['company.terms.valueTags', ['no-resale', 'b-corp']] }, false],
    ['subsetOf', { subsetOf: ['request.categories', { fact: 'purpose.categories' }] }, true],
    ['subsetOf with an extra item', { subsetOf: ['request.categories', ['contact']] }, false],
    ['exists on a present fact', { exists: 'budget.readsPerHour' }, true],
    ['exists on a missing fact', { exists: 'usage.readsLastHour' }, false],
    ['category facts in a forEach rule', { eq: ['category.sensitive', true] }, true],
    ['all', { all: [{ eq: ['stage', 'read'] }, { lt: ['request.durationDays', 60] }] }, true],
    ['all with one false', { all: [{ eq: ['stage', 'read'] }, { gt: ['request.durationDays', 60] }] }, false],
    ['empty all', { all: [] }, true],
    ['any', { any: [{ eq: ['stage', 'request'] }, { eq: ['stage', 'read'] }] }, true],
    ['empty any', { any: [] }, false],
    ['not', { not: { eq: ['stage', 'read'] } }, false],
  ])('when %s, then the condition is evaluated correctly', (_name, condition, expected) => {
    expect(run(condition)).toBe(expected);
  });

  it('when a compared fact is missing, then every comparison is false, even ne', () => {
    expect(run({ gt: ['company.terms.retentionDays', { fact: 'customer.criteria.maxRetentionDays' }] })).toBe(false);
    expect(run({ lte: ['company.terms.retentionDays', { fact: 'customer.criteria.maxRetentionDays' }] })).toBe(false);
    expect(run({ ne: ['usage.readsLastHour', 3] })).toBe(false);
    expect(run({ not: { gt: ['usage.readsLastHour', 3] } })).toBe(true);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an unknown fact', { gt: ['request.duration', 3] }, 'when.gt[0]', /unknown fact "request.duration"/],
    ['a number compared with a string', { gt: ['request.durationDays', '30'] }, 'when.gt', /gt compares a number/],
    ['a list compared with eq', { eq: ['request.categories', 'contact'] }, 'when.eq', /eq compares a scalar/],
    ['eq across types', { eq: ['request.purpose', 3] }, 'when.eq', /got string and number/],
    [
      'in with a scalar operand',
      { in: ['request.purpose', 'marketing'] },
      'when.in',
      /in compares a scalar fact with a list/,
    ],
    ['an unknown operator', { matches: ['request.purpose', 'x'] }, 'when', /unknown operator "matches"/],
    ['two operators in one condition', { eq: ['stage', 'read'], ne: ['stage', 'x'] }, 'when', /exactly one operator/],
    [
      'a nested problem',
      { all: [{ eq: ['stage', 'read'] }, { not: { lt: ['nope.x', 1] } }] },
      'when.all[1].not.lt[0]',
      /unknown fact/,
    ],
  ])('when a condition has %s, then compiling fails at its path', (_name, condition, path, reason) => {
    const attempt = () => compileCondition(condition as Condition, 'when', { forEach: 'category' });
    expect(attempt).toThrow(ConditionError);
    try {
      attempt();
    } catch (err) {
      expect((err as ConditionError).path).toBe(path);
      expect((err as ConditionError).reason).toMatch(reason);
    }
  });

  it('when a rule without forEach uses a category fact, then compiling fails', () => {
    expect(() => compileCondition({ eq: ['category.sensitive', true] }, 'when')).toThrow(
      /only available in a rule with forEach: category/,
    );
  });

  it('when a message has placeholders, then they render the facts and lists are joined', () => {
    const render = compileTemplate(
      '{request.purpose} for {request.durationDays} days: {request.categories}; max {customer.criteria.maxRetentionDays}',
      'message',
    );
    expect(render(scope)).toBe('marketing for 30 days: contact, preferences; max unknown');
  });

  it('when a message names an unknown fact, then compiling fails', () => {
    expect(() => compileTemplate('at most {purpose.maxDays} days', 'rules[1].message')).toThrow(
      /rules\[1\]\.message: unknown fact "purpose.maxDays"/,
    );
  });
});
