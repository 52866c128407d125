import Database from 'better-sqlite3';
import type { Db } from '../db/connection.ts';
import type { AuditRow } from './event.ts';

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

/** Read-only queries over the audit trail (the module's own table). */
export function createAuditQueries(db: Db, dbFile: string) {
  const head = db.$client.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const readsOf = db.$client.prepare(
    "SELECT seq, body FROM audit_events WHERE customer_id = ? AND action IN ('data.read', 'data.deposit', 'data.denied') AND seq < ? ORDER BY seq DESC LIMIT ?",
  );
  return {
    head: () => head.get() as { seq: number; hash: string } | undefined,

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
