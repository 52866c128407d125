import type { Reason, ReasonSource } from './types.ts';

/**
 * A refusal as a company may see it. The customer's criteria (refused purposes, required commitments,
 * maximum retention, blocked companies) can reveal religion, diet or health, and any company that
 * knows a handle could probe them one request at a time; so every reason whose source is the customer
 * becomes one stable code and one generic sentence. Platform reasons stay specific: they quote only
 * the platform's published rules and the company's own request and terms (SECURITY.md, "What a
 * company learns of a refusal"). The full explanation stays with the customer and the auditors.
 */
export interface CompanyReason {
  code: string;
  message: string;
  source: ReasonSource;
}

export const CUSTOMER_CRITERIA: CompanyReason = Object.freeze({
  code: 'CUSTOMER_CRITERIA',
  message: "The request does not meet this customer's criteria.",
  source: 'customer',
});

/** The refusing reasons of a decision, each customer-sourced one folded into CUSTOMER_CRITERIA (once). */
export function reasonsForCompany(reasons: readonly Reason[]): CompanyReason[] {
  const out: CompanyReason[] = [];
  let customer = false;
  for (const r of reasons) {
    if (r.effect !== 'deny') continue;
    if (r.source === 'customer') customer = true;
    else out.push({ code: r.code, message: r.message, source: 'platform' });
  }
  if (customer) out.push({ ...CUSTOMER_CRITERIA });
  return out;
}

/** The codes alone, for an RFC 6749 §4.1.2.1 error_description on a redirect. */
export const codesForCompany = (reasons: readonly Reason[]): string =>
  reasonsForCompany(reasons)
    .map((r) => r.code)
    .join(' ');

/** What a company reading a suspended grant is told: the stored reason is written for the customer. */
export const SUSPENDED_FOR_COMPANY =
  "The grant is suspended: it no longer passes the platform policy or this customer's criteria.";

const STATUS_FOR_COMPANY: Record<string, string | null> = {
  active: null,
  suspended: SUSPENDED_FOR_COMPANY,
  revoked: 'The grant was revoked.',
  expired: 'The grant reached its end date.',
};

/** A grant's status reason as its company sees it: one fixed sentence per status. */
export const statusReasonForCompany = (status: string): string | null => STATUS_FOR_COMPANY[status] ?? null;
