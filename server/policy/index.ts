// The policy module's public API; other modules import from here, never from its inner files.
export { checkPolicies, type PolicyCheck } from './check.ts';
export { evaluate, matchesAutoApprove } from './evaluate.ts';
export {
  codesForCompany,
  CUSTOMER_CRITERIA,
  reasonsForCompany,
  statusReasonForCompany,
  SUSPENDED_FOR_COMPANY,
  type CompanyReason,
} from './for-company.ts';
export { reasonsForAudit } from './for-audit.ts';
export { loadPolicySet, PolicyLoadError } from './load.ts';
export {
  budgetFor,
  isSensitive,
  maxDurationDays,
  purposeOf,
  type CompiledRule,
  type PolicySet,
  type PurposeEntry,
} from './registry.ts';
export type { Budget } from './facts.ts';
export * from './types.ts';
