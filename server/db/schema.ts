/**
 * The whole relational schema. Tables belong to modules (named in each comment); only server/db and
 * each module's own store.ts use them. No ON DELETE CASCADE anywhere: drizzle-kit rebuilds SQLite
 * tables by copying them, and a cascade could silently wipe audit or key rows (ARCHITECTURE.md, "Speed").
 */
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// customers/ — accounts. The e-mail is kept only as a keyed blind index (HMAC) for sign-in; its
// value lives encrypted in profile_fields. The data key (DEK) is stored wrapped by a KEK.
export const customers = sqliteTable('customers', {
  id: text('id').primaryKey(),
  handle: text('handle').notNull().unique(),
  loginIndex: text('login_index').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  kekId: text('kek_id').notNull(),
  wrappedDek: blob('wrapped_dek', { mode: 'buffer' }).notNull(),
  criteria: text('criteria').notNull().default('{}'),
  createdAt: text('created_at').notNull(),
  // A new random number at every write to the customer's records, set by triggers (migration 0024), for the
  // records read to know its page of ids unchanged (data/record-store.ts recordsVersion). Never written by code.
  recordsVersion: integer('records_version').notNull().default(0),
});

// customers/ — auditor accounts (created by the operator CLI); they hold no personal profile.
export const auditors = sqliteTable('auditors', {
  id: text('id').primaryKey(),
  loginIndex: text('login_index').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: text('created_at').notNull(),
});

// customers/ — sessions, looked up by the SHA-256 of the cookie value.
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    subjectKind: text('subject_kind', { enum: ['customer', 'auditor'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    // SHA-256 (hex) of the session's CSRF token; the token itself is never stored (0007_csrf_hash).
    csrfHash: text('csrf_hash').notNull(),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    // The signed-in customer (0019); null for an auditor's session, which belongs to no customer.
    customerId: text('customer_id'),
  },
  (t) => [index('sessions_subject').on(t.subjectId), index('sessions_expires').on(t.expiresAt)],
);

// customers/ — profile fields, each sealed with XChaCha20-Poly1305 under the customer's DEK.
export const profileFields = sqliteTable(
  'profile_fields',
  {
    customerId: text('customer_id').notNull(),
    field: text('field').notNull(),
    version: integer('version').notNull(),
    sealed: blob('sealed', { mode: 'buffer' }).notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.field] })],
);

// data/ — records deposited by companies into a customer's vault, sealed like profile fields.
export const records = sqliteTable(
  'records',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    companyId: text('company_id').notNull(),
    grantId: text('grant_id').notNull(),
    category: text('category').notNull(),
    sealed: blob('sealed', { mode: 'buffer' }).notNull(),
    createdAt: text('created_at').notNull(),
    /** Migration 0013: the company's idempotency key, the depositing device, when the customer hid it. */
    idempotencyKey: text('idempotency_key'),
    deviceId: text('device_id'),
    hiddenAt: text('hidden_at'),
  },
  (t) => [
    index('records_customer').on(t.customerId, t.createdAt),
    uniqueIndex('records_idempotency').on(t.customerId, t.companyId, t.idempotencyKey),
    index('records_customer_category').on(t.customerId, t.category, t.createdAt),
    index('records_shareable').on(t.customerId, t.hiddenAt, t.createdAt, t.id, t.category),
  ],
);

// customers/ — the customer's inbox: suspensions, receipts, back-channel requests to review.
export const inbox = sqliteTable(
  'inbox',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    kind: text('kind').notNull(),
    body: text('body').notNull(),
    createdAt: text('created_at').notNull(),
    readAt: text('read_at'),
  },
  (t) => [index('inbox_customer').on(t.customerId, t.createdAt), index('inbox_kind_created').on(t.kind, t.createdAt)],
);

// companies/ — registered OAuth clients (RFC 7591).
export const companies = sqliteTable('companies', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  status: text('status', { enum: ['active', 'disabled'] }).notNull(),
  authMethod: text('auth_method', { enum: ['private_key_jwt', 'client_secret_basic'] }).notNull(),
  secretHash: text('secret_hash'),
  jwks: text('jwks'),
  redirectUris: text('redirect_uris').notNull(),
  dpopBound: integer('dpop_bound', { mode: 'boolean' }).notNull(),
  termsVersion: integer('terms_version').notNull(),
  registrationTokenHash: text('registration_token_hash').notNull(),
  createdAt: text('created_at').notNull(),
  // RFC 8935 push endpoint for grant events (RFC 7591 metadata `event_delivery_endpoint`); null: the company polls.
  eventDeliveryEndpoint: text('event_delivery_endpoint'),
  // The connected product a device client runs in (RFC 8628), shown as "<product>, by <name>".
  productName: text('product_name'),
});

// companies/ — declared data-use terms, versioned: a change makes a new row.
export const companyTerms = sqliteTable(
  'company_terms',
  {
    companyId: text('company_id').notNull(),
    version: integer('version').notNull(),
    terms: text('terms').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.version] })],
);

// companies/ — every name a company has had (version 1 at registration), for past events and look-alike checks.
export const companyNames = sqliteTable(
  'company_names',
  {
    companyId: text('company_id').notNull(),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    validFrom: text('valid_from').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.version] })],
);

// companies/ — one-time initial access tokens for registration, issued by the operator CLI.
export const initialAccessTokens = sqliteTable('initial_access_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  label: text('label').notNull(),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at'),
});

// oauth/ — authorization requests (pushed or front-channel, and back-channel), pending consent.
export const authRequests = sqliteTable(
  'auth_requests',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id').notNull(),
    mode: text('mode', { enum: ['front', 'backchannel', 'device'] }).notNull(),
    redirectUri: text('redirect_uri'),
    // False when the client left redirect_uri out (one registered URI): then /token may leave it out too
    // (RFC 6749 §4.1.3). Null on rows from before this column: treated as given.
    redirectUriGiven: integer('redirect_uri_given', { mode: 'boolean' }),
    state: text('state'),
    codeChallenge: text('code_challenge'),
    details: text('details').notNull(),
    customerId: text('customer_id'),
    status: text('status', { enum: ['pushed', 'pending', 'approved', 'denied', 'consumed', 'expired'] }).notNull(),
    grantId: text('grant_id'),
    decision: text('decision'),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [
    index('auth_requests_customer').on(t.customerId, t.status),
    index('auth_requests_expires').on(t.expiresAt),
    index('auth_requests_company').on(t.companyId, t.customerId, t.status),
  ],
);

// oauth/ — device authorization (RFC 8628): the codes of a device request (an auth_requests row), by hash;
// the customer is known once they enter the user code. interval_s grows on slow_down (§3.5).
export const deviceCodes = sqliteTable(
  'device_codes',
  {
    requestId: text('request_id').primaryKey(),
    companyId: text('company_id').notNull(),
    customerId: text('customer_id'),
    deviceCodeHash: text('device_code_hash').notNull(),
    userCodeHash: text('user_code_hash').notNull(),
    intervalS: integer('interval_s').notNull(),
    lastPollAt: text('last_poll_at'),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [
    uniqueIndex('device_codes_device_code').on(t.deviceCodeHash),
    uniqueIndex('device_codes_user_code').on(t.userCodeHash),
    index('device_codes_expires').on(t.expiresAt),
  ],
);

// oauth/ — authorization codes, stored by hash, single use (RFC 6749 §4.1.2).
export const authCodes = sqliteTable('auth_codes', {
  codeHash: text('code_hash').primaryKey(),
  requestId: text('request_id').notNull(),
  grantId: text('grant_id').notNull(),
  companyId: text('company_id').notNull(),
  redirectUri: text('redirect_uri').notNull(),
  codeChallenge: text('code_challenge').notNull(),
  dpopJkt: text('dpop_jkt'),
  familyId: text('family_id').notNull(),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at'),
  // The grant's customer (0019): the distribution column (server/db/tables.ts).
  customerId: text('customer_id').notNull(),
});

// grants/ — the customer's consent: who, what, why, until when.
export const grants = sqliteTable(
  'grants',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    companyId: text('company_id').notNull(),
    purpose: text('purpose').notNull(),
    fields: text('fields').notNull(),
    actions: text('actions').notNull(),
    termsVersion: integer('terms_version').notNull(),
    policyVersion: text('policy_version').notNull(),
    status: text('status', { enum: ['active', 'revoked', 'expired', 'suspended'] }).notNull(),
    statusReason: text('status_reason'),
    autoApproved: integer('auto_approved', { mode: 'boolean' }).notNull().default(false),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    /** Migration 0013: the record categories, window and sources the grant covers (JSON), if any. */
    records: text('records'),
    /** When the status last changed (migration 0010); null for a grant active since its creation. */
    statusChangedAt: text('status_changed_at'),
    /** The claims the grant answers, as JSON (migration 0016); null when it answers none. */
    claims: text('claims'),
  },
  (t) => [
    index('grants_customer').on(t.customerId, t.status),
    index('grants_company').on(t.companyId, t.status),
    // Migration 0021: the reminder and expiry sweeps search live grants by their end.
    index('grants_status_expires').on(t.status, t.expiresAt),
  ],
);

// oauth/ — token families: one per code exchange; revoking a family kills its access and refresh tokens.
export const tokenFamilies = sqliteTable(
  'token_families',
  {
    id: text('id').primaryKey(),
    grantId: text('grant_id').notNull(),
    companyId: text('company_id').notNull(),
    dpopJkt: text('dpop_jkt'),
    createdAt: text('created_at').notNull(),
    revokedAt: text('revoked_at'),
    revokedReason: text('revoked_reason'),
    // The grant's customer (0019): the distribution column (server/db/tables.ts).
    customerId: text('customer_id').notNull(),
  },
  (t) => [index('token_families_grant').on(t.grantId), index('token_families_revoked').on(t.revokedAt)],
);

// oauth/ — opaque refresh tokens, stored by hash, rotated on use.
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    familyId: text('family_id').notNull(),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    usedAt: text('used_at'),
    // The family's customer (0019): the distribution column (server/db/tables.ts).
    customerId: text('customer_id').notNull(),
  },
  (t) => [
    index('refresh_tokens_family').on(t.familyId),
    index('refresh_tokens_expires').on(t.expiresAt),
    index('refresh_tokens_used').on(t.usedAt),
  ],
);

// oauth/ — access tokens revoked before their expiry (RFC 7009), by jti.
export const revokedAccessTokens = sqliteTable('revoked_access_tokens', {
  jti: text('jti').primaryKey(),
  expiresAt: text('expires_at').notNull(),
});

// audit/ — the hash-chained, append-only event log. No update or delete path exists in the code.
export const auditEvents = sqliteTable(
  'audit_events',
  {
    seq: integer('seq').primaryKey(),
    time: text('time').notNull(),
    action: text('action').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    customerId: text('customer_id'),
    companyId: text('company_id'),
    grantId: text('grant_id'),
    decision: text('decision'),
    body: text('body').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    // The chain the event links into (0023; ARCHITECTURE.md, "The audit trail"); 'main' on SQLite.
    chain: text('chain').notNull().default('main'),
  },
  (t) => [
    index('audit_time').on(t.time),
    index('audit_chain').on(t.chain, t.seq),
    index('audit_customer').on(t.customerId, t.seq),
    index('audit_company').on(t.companyId, t.seq),
    // The customer's activity: real reads and deposits first, refusals grouped (server/audit/queries.ts).
    index('audit_customer_action').on(t.customerId, t.action, t.seq),
  ],
);

// audit/ — signed checkpoints {seq, hash, time}.
export const auditCheckpoints = sqliteTable('audit_checkpoints', {
  seq: integer('seq').primaryKey(),
  hash: text('hash').notNull(),
  time: text('time').notNull(),
  jws: text('jws').notNull(),
});

// audit/ — signed consent receipts (Kantara CR / ISO/IEC 27560 fields).
export const receipts = sqliteTable(
  'receipts',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    companyId: text('company_id').notNull(),
    grantId: text('grant_id').notNull(),
    kind: text('kind').notNull(),
    jws: text('jws').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('receipts_customer').on(t.customerId, t.createdAt), index('receipts_grant').on(t.grantId)],
);

// oauth/ and companies/ — one-time JWT ids (client assertions, DPoP proofs) until they expire (replay defence).
export const seenJtis = sqliteTable('seen_jtis', {
  jti: text('jti').primaryKey(),
  expiresAt: text('expires_at').notNull(),
});

// grants/ — per-grant usage counters in hour buckets, for the read and deposit budgets (ARCHITECTURE.md, "Where policy decisions happen").
export const usageCounters = sqliteTable(
  'usage_counters',
  {
    grantId: text('grant_id').notNull(),
    action: text('action').notNull(),
    hour: integer('hour').notNull(),
    count: integer('count').notNull(),
    // The grant's customer (0019): the distribution column, leading the key (the lookup always has it).
    customerId: text('customer_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.grantId, t.action, t.hour] }),
    index('usage_counters_hour').on(t.hour),
  ],
);

// data/ — refused company requests per company and minute, for the refusal limit (SECURITY.md "Company reads").
export const refusalWindows = sqliteTable(
  'refusal_windows',
  {
    companyId: text('company_id').notNull(),
    minute: integer('minute').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.minute] }), index('refusal_windows_minute').on(t.minute)],
);

// http/ — fixed-window request budgets (back-channel, PAR, /authorize), shared by every server through the
// database; a window's row is purged once it has ended (SECURITY.md "Floods and bounds").
export const rateWindows = sqliteTable(
  'rate_windows',
  {
    key: text('key').notNull(),
    windowEnd: integer('window_end').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowEnd] }), index('rate_windows_end').on(t.windowEnd)],
);

// events/ — the durable outbox of Security Event Tokens (RFC 8417), written in the transaction of the grant
// change; `seq` orders a company's events; a row is settled once delivered (202 / acknowledged) or given up.
export const eventOutbox = sqliteTable(
  'event_outbox',
  {
    seq: integer('seq').primaryKey(),
    jti: text('jti').notNull().unique(),
    companyId: text('company_id').notNull(),
    customerId: text('customer_id').notNull(),
    grantId: text('grant_id'),
    eventType: text('event_type').notNull(),
    data: text('data').notNull(),
    createdAt: text('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    settledAt: text('settled_at'),
    outcome: text('outcome'),
  },
  (t) => [
    index('event_outbox_pending').on(t.companyId, t.settledAt, t.seq),
    index('event_outbox_customer').on(t.customerId),
    index('event_outbox_settled').on(t.settledAt),
  ],
);
// deletions/ — when a grant ends, the company must delete what it received by `due_at` and confirm it
// (ARCHITECTURE.md, "After consent"). One request per ended grant; fields and records are JSON arrays of
// catalogue names and record ids, never values.
export const deletionRequests = sqliteTable(
  'deletion_requests',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    companyId: text('company_id').notNull(),
    grantId: text('grant_id').notNull().unique(),
    cause: text('cause').notNull(),
    fields: text('fields').notNull(),
    records: text('records').notNull(),
    status: text('status', { enum: ['open', 'overdue', 'confirmed'] }).notNull(),
    requestedAt: text('requested_at').notNull(),
    dueAt: text('due_at').notNull(),
    overdueAt: text('overdue_at'),
    confirmedAt: text('confirmed_at'),
    keptFields: text('kept_fields'),
    keptUntil: text('kept_until'),
    receiptId: text('receipt_id'),
  },
  (t) => [
    index('deletion_requests_company').on(t.companyId, t.status),
    index('deletion_requests_customer').on(t.customerId, t.requestedAt),
    index('deletion_requests_due').on(t.status, t.dueAt),
  ],
);

// grants/ — the last reminder and expiry notice sent for a live grant (ARCHITECTURE.md, "After consent").
export const grantNotices = sqliteTable(
  'grant_notices',
  {
    grantId: text('grant_id').notNull(),
    kind: text('kind', { enum: ['reminder', 'expiry'] }).notNull(),
    customerId: text('customer_id').notNull(),
    sentAt: text('sent_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.grantId, t.kind] })],
);

// benefits/ — the benefit ledger: what a company says it gave back under a grant, and the customer's answer.
// The company's idempotency key is kept as its SHA-256 and the reference sealed under the customer's DEK, like
// a record: both are typed by the company and may name the customer (0015_benefits).
export const benefits = sqliteTable(
  'benefits',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    companyId: text('company_id').notNull(),
    grantId: text('grant_id').notNull(),
    keyHash: text('key_hash').notNull(),
    kind: text('kind', { enum: ['discount', 'payment', 'service', 'other'] }).notNull(),
    amountMinor: integer('amount_minor'),
    currency: text('currency'),
    referenceSealed: blob('reference_sealed', { mode: 'buffer' }),
    status: text('status', { enum: ['recorded', 'confirmed', 'disputed'] }).notNull(),
    createdAt: text('created_at').notNull(),
    answeredAt: text('answered_at'),
  },
  (t) => [
    uniqueIndex('benefits_company_key').on(t.companyId, t.keyHash),
    index('benefits_customer').on(t.customerId, t.companyId, t.createdAt),
  ],
);

// db/shared/ — leases: one server at a time holds a named job (the sweep) until expires_at (ms since the epoch).
export const leases = sqliteTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

// db/shared/ — fixed-window rate-limit counters shared by every server (keys are hashed; no personal data).
export const rateCounters = sqliteTable(
  'rate_counters',
  {
    key: text('key').notNull(),
    windowStart: integer('window_start').notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), index('rate_counters_window').on(t.windowStart)],
);
