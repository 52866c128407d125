/**
 * The shapes the dashboard reads from the vault's JSON API. They mirror the server's contract as
 * written in the issues; the dashboard never trusts them further than rendering text.
 */

export type SubjectKind = 'customer' | 'auditor';

export interface SessionInfo {
  kind: SubjectKind;
  id: string;
  handle?: string;
  csrfToken: string;
}

/** One reason of a policy decision (ARCHITECTURE.md, "Where policy decisions happen"). */
export interface Reason {
  code: string;
  message: string;
  source?: 'platform' | 'customer' | string;
}

/** RFC 9457 problem details, as every error response of the vault carries them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
  reasons?: Reason[];
  /** Where the customer came from, when a company sent them (an expired consent request). */
  returnTo?: { name: string; href: string };
}

export interface FieldInfo {
  name: string;
  category: string;
  label: string;
  schema: JsonSchema;
  sensitive?: boolean;
}

export interface JsonSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  items?: JsonSchema;
}

export interface ProfileValue {
  value: unknown;
  category: string;
  version: number;
  updatedAt: string;
}

export interface CompanyRef {
  id: string;
  name: string;
}

export interface CompanyTerms {
  version: number | string;
  purposes: string[];
  retentionDays: number;
  sharesOnward: boolean;
  onwardSharingDisclosed?: boolean;
  /** With whom it shares onward, in the company's own words. */
  onwardRecipients?: string;
  benefit?: { kind: string; description?: string };
  valueTags?: string[];
  contact?: string;
}

export interface RequestedField {
  name: string;
  label: string;
  category: string;
  sensitive: boolean;
  /** The customer's own value (consent screen only); null when they have not filled it in. */
  value?: unknown;
}

export type Action = 'read' | 'deposit';

/** An access request waiting for the customer (GET /api/consent/:id and GET /api/requests). */
/** "Brewco will learn whether you are over 18, not your date of birth"; answer null: not filled in. */
export interface RequestedRecords {
  categories: { name: string; label: string }[];
  window: string;
  windowText: string;
  windows: { value: string; text: string }[];
  sources: 'any' | string[];
  sourceChoices: { id: string; name: string }[];
  sentence: string;
}

export interface RequestedClaim {
  name: string;
  value: unknown;
  sentence: string;
  answer?: boolean | null;
}

export interface ConsentRequest {
  id: string;
  status: string;
  /** 'device': a connected product asks (RFC 8628); it is named in `company.product`. */
  mode?: 'front' | 'backchannel' | 'device';
  company: CompanyRef & { terms: CompanyTerms; product?: string };
  request: {
    purpose: string;
    purposeDescription?: string;
    fields: RequestedField[];
    /** Answers asked for instead of values, in words, with the answer each would give today. */
    claims?: RequestedClaim[];
    /** Records asked for (a customer_records entry), in words, with what the customer may narrow to. */
    records?: RequestedRecords;
    actions: Action[];
    durationDays: number;
    maxDurationDays: number;
  };
  decision?: { allow: boolean; reasons: Reason[]; policyVersion?: string };
}

export type GrantStatus = 'active' | 'revoked' | 'expired' | 'suspended';

export interface Grant {
  id: string;
  /** `name` is the company's name when the grant was made; `currentName` is set when it has been renamed since. */
  company: CompanyRef & { currentName?: string; product?: string; label?: string };
  purpose: string;
  fields: string[];
  actions: Action[];
  status: GrantStatus;
  statusReason?: string;
  createdAt: string;
  expiresAt: string;
  termsVersion?: number | string;
  /** When the status last changed (revoked, expired, suspended); null while active since it was made. */
  statusChangedAt?: string | null;
  /** For a suspended grant: whether re-approving it now would pass the policy, and if not, why. */
  canReapprove?: boolean;
  reapproveReasons?: Reason[];
}

/** One company the customer has granted to, as the grants page shows it (GET /api/grants). */
export interface GrantCompany {
  id: string;
  lastReadAt: string | null;
  readsLast30Days: number;
  fieldsRead: string[];
  retentionDays: number | null;
  contact: string | null;
  firstReadAt?: string | null;
  readsTotal?: number;
  recordsDeposited?: number;
  benefits?: {
    confirmed: number;
    awaitingAnswer: number;
    disputed: number;
    totals: { currency: string; amount: string }[];
  };
}

/** One entry of the benefit ledger (GET /api/benefits): what a company says it gave back. */
export interface BenefitEntry {
  id: string;
  grantId: string;
  companyId: string;
  kind: 'discount' | 'payment' | 'service' | 'other';
  amount: string | null;
  currency: string | null;
  reference: string | null;
  status: 'recorded' | 'confirmed' | 'disputed';
  createdAt: string;
  answeredAt: string | null;
}

export type ReadAction = 'data.read' | 'data.deposit' | 'data.denied';

/** One entry of the customer's activity (GET /api/reads): a company read, deposit or refused attempt. */
export interface ReadEvent {
  seq: number;
  time: string;
  action: ReadAction | string;
  company: CompanyRef & { product?: string; label?: string };
  fields: string[];
  purpose?: string;
  grantId?: string;
  decision?: 'allow' | 'deny' | string;
  reasons?: Reason[];
  /** A request refused or approved for the customer by their criteria, before they saw it. */
  automatic?: boolean;
  /** What a claim answer told the company, in words: "learned that you are over 18". */
  learned?: string;
}

/** A company's refused attempts for one reason, counted between the first and the last (GET /api/reads). */
export interface RefusalGroup {
  company: CompanyRef;
  reason: { code: string; message: string };
  count: number;
  first: string;
  last: string;
}

/** A message from the vault; `kind` is the grant change it reports (grant.approved, grant.suspended, …). */
export interface InboxMessage {
  id: string;
  kind: string;
  body: { title: string; text: string; grantId?: string; companyId?: string; receiptId?: string; [k: string]: unknown };
  createdAt: string;
  readAt?: string | null;
}

// The criteria's shape is the server's own (type-only import: nothing of the server is bundled).
export type { AutoApproveRule, CustomerCriteria as Criteria } from '../../server/policy/types.ts';

export type ReceiptKind = 'created' | 'amended' | 'revoked' | 'expired';

/** A signed consent receipt (GET /api/receipts); `claims` only on GET /api/receipts/:id. */
export interface Receipt {
  id: string;
  grantId: string;
  company: CompanyRef;
  kind: ReceiptKind | string;
  createdAt: string;
  jws: string;
  claims?: ReceiptClaims;
}

/** The purpose entry of a receipt, after the Kantara Consent Receipt v1.1 / ISO/IEC 27560 record. */
export interface ReceiptPurpose {
  purpose: string;
  consentType?: string;
  piiCategory?: string[];
  fields?: string[];
  actions?: string[];
  termination?: string;
  retentionDays?: number | null;
  thirdPartyDisclosure?: boolean;
  benefit?: { kind: string; description?: string } | null;
}

/** The decoded claims of a receipt's JWS; everything optional, since the dashboard only renders them. */
export interface ReceiptClaims {
  iss?: string;
  iat?: number;
  consentReceiptID?: string;
  event?: string;
  collectionMethod?: string;
  piiPrincipalId?: string;
  piiControllers?: { piiController: string; controllerId?: string; contact?: string | null }[];
  policyUrl?: string;
  grant?: {
    id: string;
    status: string;
    created?: string;
    expires?: string;
    termsVersion?: number | string;
    policyVersion?: string;
  };
  services?: { service: string; purposes?: ReceiptPurpose[] }[];
  sensitive?: boolean;
  spiCat?: string[];
  withdrawal?: string;
}

export interface AuditEvent {
  seq: number;
  time: string;
  action: string;
  actor?: { kind: string; id: string };
  customerId?: string;
  companyId?: string;
  grantId?: string;
  purpose?: string;
  fields?: string[];
  decision?: 'allow' | 'deny' | string;
  reasons?: Reason[];
  policyVersion?: string;
  requestId?: string;
  /** Scalar facts such as counts or a terms version; never personal data. */
  detail?: Record<string, string | number | boolean>;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  time: string;
  jws: string;
}

/** A request to a company to delete what it received under a grant that ended (GET /api/deletions). */
export interface Deletion {
  id: string;
  grantId: string;
  cause: string;
  fields: string[];
  status: 'open' | 'overdue' | 'confirmed';
  requestedAt: string;
  dueAt: string;
  overdueAt: string | null;
  confirmedAt: string | null;
  kept: { fields: string[]; until: string } | null;
  company: { id: string; name: string };
}
