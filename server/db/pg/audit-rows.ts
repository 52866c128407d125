import type pg from 'pg';

/** One audit_events row as the appender writes it (server/audit/chain/append.ts), in AUDIT_COLUMNS' order. */
export type AuditRow = readonly [
  seq: number,
  time: string,
  action: string,
  actorKind: string,
  actorId: string,
  customerId: string | null,
  companyId: string | null,
  grantId: string | null,
  decision: string | null,
  body: string,
  prevHash: string,
  hash: string,
  chain: string,
];

const COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['seq', 'bigint'],
  ['time', 'text'],
  ['action', 'text'],
  ['actor_kind', 'text'],
  ['actor_id', 'text'],
  ['customer_id', 'text'],
  ['company_id', 'text'],
  ['grant_id', 'text'],
  ['decision', 'text'],
  ['body', 'text'],
  ['prev_hash', 'text'],
  ['hash', 'text'],
  ['chain', 'text'],
];

/** The one-row INSERT: the appender's statement (a `?` text for rawStatement). */
export const AUDIT_INSERT = `INSERT INTO audit_events (${COLUMNS.map(([c]) => c).join(', ')})
     VALUES (${COLUMNS.map(() => '?').join(', ')})`;

const MANY = {
  name: 'v_audit_rows',
  text: `INSERT INTO audit_events (${COLUMNS.map(([c]) => c).join(', ')})
     SELECT * FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})`,
};

/**
 * Several audit rows as ONE statement on this connection: each column's values as one array parameter, zipped back
 * into rows by unnest (node-postgres writes each array as a PostgreSQL array literal, every element quoted). The
 * group commit writes the rows its untouched units appended this way (server/db/pg/unit.ts, AuditLane.rows).
 */
export function insertAuditRows(client: pg.ClientBase, rows: readonly AuditRow[]): Promise<unknown> {
  return client.query({ ...MANY, values: COLUMNS.map((_, i) => rows.map((r) => r[i])) });
}
