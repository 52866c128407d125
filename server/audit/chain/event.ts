/**
 * The audit event: what happened, who did it, to whose data, under which grant, and why it was
 * allowed or denied. Events name fields, never values (ARCHITECTURE.md, "The encrypted profile": no plaintext personal data in
 * the audit trail), so there is deliberately no free-text field that could carry a value: `detail`
 * holds scalar facts such as counts or a terms version, and reason messages come from the policy
 * engine's fixed sentences.
 */

export const AUDIT_ACTIONS = [
  'data.read',
  'data.claim',
  'data.deposit',
  'data.denied',
  'data.throttled',
  'grant.requested',
  'grant.approved',
  'grant.narrowed',
  'grant.denied',
  'grant.revoked',
  'grant.expired',
  'grant.suspended',
  'grant.resumed',
  'customer.signin',
  'customer.export',
  'customer.deleted',
  'auditor.export',
  'token.revoked',
  'company.registered',
  'company.disabled',
  'company.terms-changed',
  'company.renamed',
  'event.attempted',
  'event.delivered',
  'event.given-up',
  'deletion.requested',
  'deletion.confirmed',
  'deletion.overdue',
  'record.hidden',
  'record.shown',
  'record.deleted',
  'benefit.recorded',
  'benefit.confirmed',
  'benefit.disputed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const ACTOR_KINDS = ['company', 'customer', 'auditor', 'operator', 'system'] as const;

export type ActorKind = (typeof ACTOR_KINDS)[number];

export interface AuditReason {
  code: string;
  message: string;
}

export interface AuditEvent {
  /** Position in the chain: 1, 2, 3… with no gaps. */
  seq: number;
  /** ISO 8601 UTC with milliseconds, e.g. 2025-01-31T12:00:00.000Z. */
  time: string;
  action: AuditAction;
  actor: { kind: ActorKind; id: string };
  /** Pseudonymous customer id, never a name or an email. */
  customerId?: string;
  companyId?: string;
  grantId?: string;
  purpose?: string;
  /** Field names (e.g. "contact.email"), never their values. */
  fields?: string[];
  decision?: 'allow' | 'deny';
  reasons?: AuditReason[];
  policyVersion?: string;
  requestId?: string;
  detail?: Record<string, string | number | boolean>;
  /**
   * The chain the event links into, when it is not the default one (audit/chain/chains.ts). Absent on the
   * default chain, so every event written before there were several chains hashes as it did.
   */
  chain?: string;
}

/** What a caller supplies to append: the chain assigns `seq`, and `time` when the caller leaves it out. */
export type NewAuditEvent = Omit<AuditEvent, 'seq' | 'time' | 'chain'> & { time?: string };

/** One stored row as the lead's `audit_events` table holds it (only the columns the chain needs). */
export interface AuditRow {
  seq: number;
  /** The canonical JSON (RFC 8785) of the whole event, exactly the bytes that were hashed. */
  body: string;
  prev_hash: string;
  hash: string;
}

const ACTION_SET: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && ACTION_SET.has(value);
}
