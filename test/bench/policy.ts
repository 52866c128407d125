// Micro benchmark of evaluate(), called by `npm run bench`. The read path spends a few µs on
// policy per request (ARCHITECTURE.md, "Speed"), so the target is < 20 µs per decision.
import { join } from 'node:path';
import { evaluate } from '../../server/policy/evaluate.ts';
import { loadPolicySet } from '../../server/policy/load.ts';
import type { DecisionFacts } from '../../server/policy/types.ts';

const terms = {
  purposes: ['order-fulfilment', 'marketing', 'research'],
  retentionDays: 180,
  sharesOnward: true,
  onwardSharingDisclosed: true,
  benefit: { kind: 'discount' as const },
  valueTags: ['no-resale', 'eu-hosting'],
};
const criteria = {
  maxRetentionDays: 365,
  benefitRequiredForMarketing: true,
  refusedPurposes: ['research'],
  requiredValueTags: ['no-resale'],
  blockedCompanies: ['spam-corp', 'data-hoarders'],
  autoApprove: [
    {
      purposes: ['order-fulfilment'],
      categories: ['contact' as const, 'address' as const],
      actions: ['read' as const],
      maxDurationDays: 30,
    },
  ],
};

/** A mix of what the server decides: requests (allowed, auto-approved, refused) and reads. */
export function sampleFacts(): DecisionFacts[] {
  const company = { id: 'acme', termsVersion: 2, terms };
  const customer = { criteria };
  return [
    {
      stage: 'request',
      request: {
        purpose: 'order-fulfilment',
        fields: ['email', 'street'],
        categories: ['contact', 'address'],
        actions: ['read'],
        durationDays: 30,
      },
      company,
      customer,
    },
    {
      stage: 'request',
      request: {
        purpose: 'research',
        fields: ['allergies'],
        categories: ['health', 'demographics'],
        actions: ['read'],
        durationDays: 90,
      },
      company,
      customer,
    },
    {
      stage: 'read',
      request: {
        purpose: 'marketing',
        fields: ['email', 'shoeSize'],
        categories: ['contact', 'preferences'],
        actions: ['read'],
        durationDays: 90,
      },
      company,
      customer,
      usage: { readsLastHour: 3, readsLastDay: 20 },
    },
    {
      stage: 'read',
      request: {
        purpose: 'order-fulfilment',
        fields: ['email'],
        categories: ['contact'],
        actions: ['read', 'deposit'],
        durationDays: 60,
      },
      company,
      customer,
      usage: { readsLastHour: 70, readsLastDay: 70 },
    },
  ];
}

// Resolved from this file so the bench works from any working directory.
const POLICIES = join(import.meta.dirname, '..', '..', 'policies');

export function benchEvaluate(iterations = 200_000, dir = POLICIES): { nsPerDecision: number; iterations: number } {
  const set = loadPolicySet(dir);
  const facts = sampleFacts();
  let sink = 0;
  // Warm up so the JIT has compiled the rule closures before timing starts.
  for (let i = 0; i < Math.min(iterations, 20_000); i++)
    sink += evaluate(facts[i % facts.length] as DecisionFacts, set).reasons.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += evaluate(facts[i % facts.length] as DecisionFacts, set).reasons.length;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink < 0) console.log(sink); // keeps the loop's result alive
  return { nsPerDecision: Math.round(ns / Math.max(iterations, 1)), iterations };
}
