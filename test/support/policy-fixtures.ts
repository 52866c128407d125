// Shared by the policy tests: a temp copy of policies/ to break on purpose, and a baseline
// request that passes every rule so each test changes one thing.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionFacts } from '../../server/policy/types.ts';

export const POLICIES_DIR = join(import.meta.dirname, '..', '..', 'policies');

/** A fresh copy of policies/ in a temp dir; `edit` rewrites one file's text. */
export function copyPolicies(edit?: { file: string; change: (text: string) => string }): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'policies-')), 'policies');
  cpSync(POLICIES_DIR, dir, { recursive: true });
  if (edit) {
    const file = join(dir, edit.file);
    const before = readFileSync(file, 'utf8');
    const after = edit.change(before);
    if (after === before) throw new Error(`test edit did not change ${edit.file}`);
    writeFileSync(file, after);
  }
  return dir;
}

export function passingFacts(over: Partial<DecisionFacts> = {}): DecisionFacts {
  return {
    stage: 'request',
    request: {
      purpose: 'order-fulfilment',
      fields: ['email', 'street'],
      categories: ['contact', 'address'],
      actions: ['read'],
      durationDays: 30,
    },
    company: {
      id: 'acme',
      termsVersion: 1,
      terms: {
        purposes: ['order-fulfilment', 'marketing', 'research', 'fraud-prevention'],
        retentionDays: 90,
        sharesOnward: false,
        onwardSharingDisclosed: false,
        benefit: { kind: 'discount' },
        valueTags: ['no-resale'],
      },
    },
    customer: {
      criteria: {
        benefitRequiredForMarketing: false,
        refusedPurposes: [],
        requiredValueTags: [],
        blockedCompanies: [],
        autoApprove: [],
      },
    },
    ...over,
  };
}
