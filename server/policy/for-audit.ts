import type { Reason } from './types.ts';

/**
 * Reasons as the append-only audit trail keeps them: the code and the rule's sentence with only
 * closed-vocabulary facts filled in. A rule's message for the customer may quote a purpose as a company
 * typed it or the value tags either side typed; nobody can erase the trail, so those stay out of it
 * (SECURITY.md "The audit trail"). A reason not made by the evaluator (no rule id) carries a fixed sentence
 * already; a rule's reason that lost its audit wording (a copy) keeps only its code.
 */
export const reasonsForAudit = (reasons: readonly Reason[]): { code: string; message: string }[] =>
  reasons.map((r) => ({ code: r.code, message: r.auditMessage ?? (r.ruleId ? r.code : r.message) }));
