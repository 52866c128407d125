import Database from 'better-sqlite3';
import type { Db } from '../db/connection.ts';
import type { AuditRow } from './chain/event.ts';

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
  const readsOf = db.$client.prepare(
    "SELECT seq, body FROM audit_events WHERE customer_id = ? AND action IN ('data.read', 'data.deposit', 'data.denied') AND seq < ? ORDER BY seq DESC LIMIT ?",
  );
  // The customer's activity: each kind of real use through the (customer, action, seq) index, newest first.
  const usesOf = db.$client.prepare(
    'SELECT seq, body FROM audit_events WHERE customer_id = ? AND action = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  // Refusals grouped per company and reason code: however many there are, the customer sees one line each.
  const refusalGroups = db.$client.prepare(
    `SELECT company_id AS companyId, json_extract(body, '$.reasons[0].code') AS code, count(*) AS count,
            min(time) AS first, max(time) AS last, max(seq) AS lastSeq
       FROM audit_events WHERE customer_id = ? AND action IN ('data.denied', 'data.throttled')
      GROUP BY company_id, code ORDER BY lastSeq DESC LIMIT 100`,
  );
  const bodyAt = db.$client.prepare('SELECT body FROM audit_events WHERE seq = ?').pluck();
  return {
    head: () => head.get() as { seq: number; hash: string } | undefined,

    /** Real reads and deposits of a customer's data (no refusals), newest first, seq below `before`. */
    usesOf(customerId: string, before: number, limit: number): { seq: number; body: string }[] {
      const rows = ['data.read', 'data.deposit'].flatMap(
        (action) => usesOf.all(customerId, action, before, limit) as { seq: number; body: string }[],
      );
      return rows.sort((a, b) => b.seq - a.seq).slice(0, limit);
    },

    /** The customer's refused company requests, one group per company and reason, latest group first. */
    refusalGroupsOf(customerId: string): RefusalGroupRow[] {
      return (refusalGroups.all(customerId) as Omit<RefusalGroupRow, 'lastBody'>[]).map((g) => ({
        ...g,
        lastBody: bodyAt.get(g.lastSeq) as string,
      }));
    },

    /** A page of events, newest first, seq below `before`. */
    page(f: AuditFilter, before: number, limit: number): { seq: number; body: string }[] {
      const w = where(f, ['seq < ?']);
      return db.$client
        .prepare(`SELECT seq, body FROM audit_events ${w.sql} ORDER BY seq DESC LIMIT ?`)
        .all(before, ...w.params, limit) as { seq: number; body: string }[];
    },

    readsOf: (customerId: string, before: number, limit: number) =>
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
