import Database from 'better-sqlite3';
import type { Db } from '../db/connection.ts';
import type { AuditRow } from './chain/event.ts';
import type { ChainHead } from './chain/chains.ts';

/** What auditors filter the log by; every value is bound as a parameter. */
export interface AuditFilter {
  from?: string;
  to?: string;
  company?: string;
  customer?: string;
  action?: string;
  decision?: 'allow' | 'deny';
}

const FILTER_CONDITIONS: [keyof AuditFilter, string][] = [
  ['from', 'time >= ?'],
  ['to', 'time < ?'],
  ['company', 'company_id = ?'],
  ['customer', 'customer_id = ?'],
  ['action', 'action = ?'],
  ['decision', 'decision = ?'],
];

function where(f: AuditFilter, extra: string[] = []): { sql: string; params: unknown[] } {
  const parts = [...extra];
  const params: unknown[] = [];
  for (const [key, condition] of FILTER_CONDITIONS) {
    const value = f[key];
    if (!value) continue;
    parts.push(condition);
    params.push(value);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The customer's activity filters (validated at the route): company id, catalogue field name, ISO times. */
export interface ActivityFilter {
  company?: string;
  field?: string;
  from?: string;
  to?: string;
}

/**
 * The kinds of activity the customer sees. A refusal here is a request refused by the customer's own criteria
 * or the platform before any grant existed (`grant.denied` by the system); an approval is one that the
 * customer's auto-approval rules granted. Refused uses of a grant are grouped separately (refusalGroupsOf).
 */
export const ACTIVITY_KINDS = {
  read: { action: 'data.read', extra: '' },
  claim: { action: 'data.claim', extra: '' },
  deposit: { action: 'data.deposit', extra: '' },
  refusal: { action: 'grant.denied', extra: " AND json_extract(body, '$.actor.kind') = 'system'" },
  approval: { action: 'grant.approved', extra: " AND json_extract(body, '$.actor.id') = 'auto-approve'" },
} as const;
export type ActivityKind = keyof typeof ACTIVITY_KINDS;

function activityWhere(f: ActivityFilter): { sql: string; params: unknown[]; key: string } {
  const conditions: [string | undefined, string][] = [
    [f.company, ' AND company_id = ?'],
    [f.from, ' AND time >= ?'],
    [f.to, ' AND time < ?'],
    [f.field, " AND EXISTS (SELECT 1 FROM json_each(body, '$.fields') WHERE value = ?)"],
  ];
  const used = conditions.filter(([value]) => value);
  const parts = used.map(([, sql]) => sql);
  const params = used.map(([value]) => value);
  // At most 2^4 shapes per kind, so the prepared statements stay few.
  const key = (['company', 'from', 'to', 'field'] as const).filter((k) => f[k]).join(',');
  return { sql: parts.join(''), params, key };
}

export interface RefusalGroupRow {
  companyId: string | null;
  code: string | null;
  count: number;
  first: string;
  last: string;
  lastSeq: number;
  /** The newest event of the group, for its reason sentence. */
  lastBody: string;
}

/** Read-only queries over the audit trail (the module's own table). */
export function createAuditQueries(db: Db, dbFile: string) {
  const head = db.$client.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  // Each chain's newest event, through the (chain, seq) index: what a checkpoint signs.
  const heads = db.$client.prepare(
    'SELECT chain, seq, hash FROM audit_events WHERE seq IN (SELECT max(seq) FROM audit_events GROUP BY chain) ORDER BY chain',
  );
  const readsOf = db.$client.prepare(
    "SELECT seq, body FROM audit_events WHERE customer_id = ? AND action IN ('data.read', 'data.claim', 'data.deposit', 'data.denied') AND seq < ? ORDER BY seq DESC LIMIT ?",
  );
  // The customer's activity: each kind through the (customer, action, seq) index, newest first, narrowed by
  // the dashboard's filters (every value bound as a parameter). Refusals are grouped per company and reason:
  // however many there are, the customer sees one line each.
  const activityStatements = new Map<string, Database.Statement>();
  const activityStatement = (key: string, sql: string) => {
    let st = activityStatements.get(key);
    if (!st) activityStatements.set(key, (st = db.$client.prepare(sql)));
    return st;
  };
  const bodyAt = db.$client.prepare('SELECT body FROM audit_events WHERE seq = ?').pluck();
  const companiesAsked = db.$client
    .prepare(
      `SELECT DISTINCT company_id FROM audit_events WHERE customer_id = ? AND action IN ('grant.approved', 'grant.denied')
        AND company_id IS NOT NULL`,
    )
    .pluck();
  return {
    head: async () => head.get() as { seq: number; hash: string } | undefined,
    heads: async () => heads.all() as ChainHead[],

    /** One kind of the customer's activity (see ACTIVITY_KINDS), newest first, seq below `before`. */
    async activityOf(customerId: string, kind: ActivityKind, f: ActivityFilter, before: number, limit: number) {
      const w = activityWhere(f);
      const k = ACTIVITY_KINDS[kind];
      const sql = `SELECT seq, body FROM audit_events WHERE customer_id = ? AND action = ? AND seq < ?${k.extra}${w.sql}
        ORDER BY seq DESC LIMIT ?`;
      return activityStatement(`${kind}|${w.key}`, sql).all(customerId, k.action, before, ...w.params, limit) as {
        seq: number;
        body: string;
      }[];
    },

    /** The customer's refused company uses, one group per company and reason, latest group first. */
    async refusalGroupsOf(customerId: string, f: ActivityFilter = {}): Promise<RefusalGroupRow[]> {
      const w = activityWhere(f);
      const sql = `SELECT company_id AS companyId, json_extract(body, '$.reasons[0].code') AS code, count(*) AS count,
            min(time) AS first, max(time) AS last, max(seq) AS lastSeq
       FROM audit_events WHERE customer_id = ? AND action IN ('data.denied', 'data.throttled')${w.sql}
      GROUP BY company_id, code ORDER BY lastSeq DESC LIMIT 100`;
      const rows = activityStatement(`groups|${w.key}`, sql).all(customerId, ...w.params) as Omit<
        RefusalGroupRow,
        'lastBody'
      >[];
      return rows.map((g) => ({ ...g, lastBody: bodyAt.get(g.lastSeq) as string }));
    },

    /** Companies that asked this customer for access (approved, refused or auto-decided), as ids. */
    companiesThatAsked: async (customerId: string) => companiesAsked.all(customerId) as string[],

    /** A page of events, newest first, seq below `before`. */
    async page(f: AuditFilter, before: number, limit: number): Promise<{ seq: number; body: string }[]> {
      const w = where(f, ['seq < ?']);
      return db.$client
        .prepare(`SELECT seq, body FROM audit_events ${w.sql} ORDER BY seq DESC LIMIT ?`)
        .all(before, ...w.params, limit) as { seq: number; body: string }[];
    },

    readsOf: async (customerId: string, before: number, limit: number) =>
      readsOf.all(customerId, before, limit) as { seq: number; body: string }[],

    /**
     * Rows for an export, oldest first, up to `maxSeq`, from a separate read-only connection: an open
     * better-sqlite3 iterator blocks its connection, and WAL gives this one a stable snapshot.
     */
    exportRows(f: AuditFilter, maxSeq: number): { rows: IterableIterator<AuditRow>; close: () => void } {
      const ro = new Database(dbFile, { readonly: true, fileMustExist: true });
      const w = where(f, ['seq <= ?']);
      const rows = ro
        .prepare(`SELECT seq, body, prev_hash, hash FROM audit_events ${w.sql} ORDER BY seq`)
        .iterate(maxSeq, ...w.params) as IterableIterator<AuditRow>;
      return { rows, close: () => ro.close() };
    },

    allRows(): IterableIterator<AuditRow> {
      return db.$client
        .prepare('SELECT seq, body, prev_hash, hash FROM audit_events ORDER BY seq')
        .iterate() as IterableIterator<AuditRow>;
    },
  };
}

export type AuditQueries = ReturnType<typeof createAuditQueries>;
