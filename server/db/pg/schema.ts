/**
 * The relational schema for PostgreSQL: the same tables, columns, keys and indexes as server/db/schema.ts
 * (the SQLite schema), with PostgreSQL's types. server/db/pg/schema.test.ts compares the two table by table,
 * so neither can change alone (ARCHITECTURE.md, "How to add a storage back end").
 *
 * Type choices:
 * - Times stay ISO-8601 text in UTC, as in SQLite. The stores compare them as strings, and the audit chain
 *   hashes an event's `time` exactly as stored: a timestamptz would come back in another text form and break
 *   both until every store converts. Moving to timestamptz is a later, per-store change.
 * - Sealed values and wrapped keys are bytea; JSON stays text, because the audit chain hashes the stored bytes
 *   and jsonb would reorder keys.
 * - Sequence numbers and millisecond windows are bigint (read as JS numbers: they stay below 2^53); flags are
 *   boolean. No serial/identity: the audit chain assigns seq itself.
 * - No ON DELETE CASCADE, no foreign keys: as in SQLite.
 */
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** bytea, read and written as a Buffer (drizzle-orm 0.45's pg-core has no built-in bytea). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const customers = pgTable('customers', {
  id: text('id').primaryKey(),
  handle: text('handle').notNull().unique(),
  loginIndex: text('login_index').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  kekId: text('kek_id').notNull(),
  wrappedDek: bytea('wrapped_dek').notNull(),
  criteria: text('criteria').notNull().default('{}'),
  createdAt: text('created_at').notNull(),
  // Kept at 0 here (pg migration 0015): SQLite's records version (../schema.ts).
  recordsVersion: integer('records_version').notNull().default(0),
});

export const auditors = pgTable('auditors', {
  id: text('id').primaryKey(),
  loginIndex: text('login_index').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: text('created_at').notNull(),
});

export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    subjectKind: text('subject_kind', { enum: ['customer', 'auditor'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    csrfHash: text('csrf_hash').notNull(),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    // The signed-in customer (0019); null for an auditor's session, which belongs to no customer.
    customerId: text('customer_id'),
  },
  (t) => [index('sessions_subject').on(t.subjectId), index('sessions_expires').on(t.expiresAt)],
);

export const profileFields = pgTable(
  'profile_fields',
  {
    customerId: text('customer_id').notNull(),
    field: text('field').notNull(),
    version: integer('version').notNull(),
    sealed: bytea('sealed').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.field] })],
);

export const records = pgTable(
  'records',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    companyId: text('company_id').notNull(),
    grantId: text('grant_id').notNull(),
    category: text('category').notNull(),
    sealed: bytea('sealed').notNull(),
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

export const inbox = pgTable(
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

export const companies = pgTable('companies', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  status: text('status', { enum: ['active', 'disabled'] }).notNull(),
  authMethod: text('auth_method', { enum: ['private_key_jwt', 'client_secret_basic'] }).notNull(),
  secretHash: text('secret_hash'),
  jwks: text('jwks'),
  redirectUris: text('redirect_uris').notNull(),
  dpopBound: boolean('dpop_bound').notNull(),
  termsVersion: integer('terms_version').notNull(),
  registrationTokenHash: text('registration_token_hash').notNull(),
  createdAt: text('created_at').notNull(),
  eventDeliveryEndpoint: text('event_delivery_endpoint'),
  productName: text('product_name'),
});

export const companyTerms = pgTable(
  'company_terms',
  {
    companyId: text('company_id').notNull(),
    version: integer('version').notNull(),
    terms: text('terms').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.version] })],
);

export const companyNames = pgTable(
  'company_names',
  {
    companyId: text('company_id').notNull(),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    validFrom: text('valid_from').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.version] })],
);

export const initialAccessTokens = pgTable('initial_access_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  label: text('label').notNull(),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at'),
});

export const authRequests = pgTable(
  'auth_requests',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id').notNull(),
    mode: text('mode', { enum: ['front', 'backchannel', 'device'] }).notNull(),
    redirectUri: text('redirect_uri'),
    redirectUriGiven: boolean('redirect_uri_given'),
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

export const deviceCodes = pgTable(
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

export const authCodes = pgTable('auth_codes', {
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

export const grants = pgTable(
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
    autoApproved: boolean('auto_approved').notNull().default(false),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    /** Migration 0013: the record categories, window and sources the grant covers (JSON), if any. */
    records: text('records'),
    statusChangedAt: text('status_changed_at'),
    claims: text('claims'),
  },
  (t) => [
    index('grants_customer').on(t.customerId, t.status),
    index('grants_company').on(t.companyId, t.status),
    // Migration 0021: the reminder and expiry sweeps search live grants by their end.
    index('grants_status_expires').on(t.status, t.expiresAt),
  ],
);

export const tokenFamilies = pgTable(
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

export const refreshTokens = pgTable(
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

export const revokedAccessTokens = pgTable('revoked_access_tokens', {
  jti: text('jti').primaryKey(),
  expiresAt: text('expires_at').notNull(),
});

// Append-only in the database itself: migration 0001_audit_append_only adds the refusing triggers.
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
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
    index('audit_customer_action').on(t.customerId, t.action, t.seq),
  ],
);

export const auditCheckpoints = pgTable('audit_checkpoints', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  hash: text('hash').notNull(),
  time: text('time').notNull(),
  jws: text('jws').notNull(),
});

export const receipts = pgTable(
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

export const seenJtis = pgTable('seen_jtis', {
  jti: text('jti').primaryKey(),
  expiresAt: text('expires_at').notNull(),
});

export const usageCounters = pgTable(
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

export const refusalWindows = pgTable(
  'refusal_windows',
  {
    companyId: text('company_id').notNull(),
    minute: integer('minute').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.minute] }), index('refusal_windows_minute').on(t.minute)],
);

// window_end is a time in milliseconds (server/http/request-budget.ts): past 2^31, so bigint.
export const rateWindows = pgTable(
  'rate_windows',
  {
    key: text('key').notNull(),
    windowEnd: bigint('window_end', { mode: 'number' }).notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowEnd] }), index('rate_windows_end').on(t.windowEnd)],
);

export const eventOutbox = pgTable(
  'event_outbox',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
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
export const deletionRequests = pgTable(
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

export const grantNotices = pgTable(
  'grant_notices',
  {
    grantId: text('grant_id').notNull(),
    kind: text('kind', { enum: ['reminder', 'expiry'] }).notNull(),
    customerId: text('customer_id').notNull(),
    sentAt: text('sent_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.grantId, t.kind] })],
);

export const benefits = pgTable(
  'benefits',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    companyId: text('company_id').notNull(),
    grantId: text('grant_id').notNull(),
    keyHash: text('key_hash').notNull(),
    kind: text('kind', { enum: ['discount', 'payment', 'service', 'other'] }).notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }),
    currency: text('currency'),
    referenceSealed: bytea('reference_sealed'),
    status: text('status', { enum: ['recorded', 'confirmed', 'disputed'] }).notNull(),
    createdAt: text('created_at').notNull(),
    answeredAt: text('answered_at'),
  },
  (t) => [
    uniqueIndex('benefits_company_key').on(t.companyId, t.keyHash),
    index('benefits_customer').on(t.customerId, t.companyId, t.createdAt),
  ],
);

export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
});

// UNLOGGED in its migration (0010_shared_state.sql): drizzle's pg-core cannot say so.
export const rateCounters = pgTable(
  'rate_counters',
  {
    key: text('key').notNull(),
    windowStart: bigint('window_start', { mode: 'number' }).notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), index('rate_counters_window').on(t.windowStart)],
);
