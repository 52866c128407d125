/**
 * Where every table would live in a PostgreSQL sharded by customer (Citus-style; README "Storage"). The one
 * list: server/db/tables.test.ts fails when a table of either schema is missing here, when a customer-data
 * table lacks its distribution column, and when the README's layout table differs from `layoutMarkdown()`.
 *
 * - customer: every row belongs to one customer; distributed by `column`, co-located with the customer's other
 *   rows. `nullWhen` says when the column may be null: a row made before its customer is known gets it later.
 * - reference: small, read everywhere, rarely written: replicated to every node.
 * - global: vault-wide rows that belong to no customer; `placement` says where a distributed deployment puts them.
 */
export type TableLayout =
  | { kind: 'customer'; column: string; nullWhen?: string }
  | { kind: 'reference'; why: string }
  | { kind: 'global'; placement: string };

export const DISTRIBUTION_COLUMN = 'customer_id';

const byCustomer = (nullWhen?: string): TableLayout =>
  nullWhen ? { kind: 'customer', column: DISTRIBUTION_COLUMN, nullWhen } : byCustomerAlways;
const byCustomerAlways: TableLayout = { kind: 'customer', column: DISTRIBUTION_COLUMN };

export const TABLE_LAYOUT: Record<string, TableLayout> = {
  customers: { kind: 'customer', column: 'id' },
  sessions: byCustomer('null for an auditor’s session'),
  profile_fields: byCustomer(),
  records: byCustomer(),
  inbox: byCustomer(),
  auth_requests: byCustomer('null until the customer signs in (a back-channel request knows it at once)'),
  device_codes: byCustomer('null until the customer enters the user code'),
  auth_codes: byCustomer(),
  grants: byCustomer(),
  token_families: byCustomer(),
  refresh_tokens: byCustomer(),
  receipts: byCustomer(),
  usage_counters: byCustomer(),
  event_outbox: byCustomer(),
  deletion_requests: byCustomer(),
  grant_notices: byCustomer(),
  benefits: byCustomer(),

  companies: { kind: 'reference', why: 'registered clients, read on every company request' },
  company_terms: { kind: 'reference', why: 'versioned terms, read by every policy decision' },
  company_names: { kind: 'reference', why: 'a company’s past names, for past events' },
  initial_access_tokens: { kind: 'reference', why: 'operator-issued registration tokens, a handful' },
  auditors: { kind: 'reference', why: 'auditor accounts, a handful; no personal profile' },

  audit_events: {
    kind: 'global',
    placement: 'the hash chain: on the coordinator, or with a chain per server (below) each chain on one node',
  },
  audit_checkpoints: { kind: 'global', placement: 'on the coordinator, beside the chain it signs' },
  seen_jtis: { kind: 'global', placement: 'distributed by jti: a replay check knows only the jti' },
  revoked_access_tokens: { kind: 'global', placement: 'distributed by jti: random token ids, no customer data' },
  rate_windows: { kind: 'global', placement: 'distributed by key: request budgets per caller' },
  refusal_windows: { kind: 'global', placement: 'distributed by company_id: refusal counts per company' },
  leases: { kind: 'global', placement: 'on the coordinator: a handful of job leases (sweep, checkpoint)' },
  rate_counters: { kind: 'global', placement: 'distributed by key: rate-limit windows shared by the servers' },
};

const cell = (s: string) => s.replaceAll('|', '\\|');

/** The README's layout table, generated from TABLE_LAYOUT (tables.test.ts keeps the README equal to it). */
export function layoutMarkdown(): string {
  const rows = Object.entries(TABLE_LAYOUT).map(([table, l]) => {
    if (l.kind === 'customer')
      return `| \`${table}\` | customer data | by \`${l.column}\`${l.nullWhen ? `; ${cell(l.nullWhen)}` : ''} |`;
    if (l.kind === 'reference') return `| \`${table}\` | reference | replicated to every node: ${cell(l.why)} |`;
    return `| \`${table}\` | global | ${cell(l.placement)} |`;
  });
  return ['| table | kind | placement |', '|---|---|---|', ...rows].join('\n');
}
