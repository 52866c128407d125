import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';

/** What one company has done with one customer's data, as the audit trail records it. */
export interface CompanyActivity {
  companyId: string;
  /** The newest read, if any. */
  lastReadAt?: string;
  /** Reads at or after `since` (the grants page asks for the last 30 days). */
  readsSince: number;
  /** Every field the company has ever read: what it may already hold. */
  fieldsRead: string[];
  /** The first read ever, and every read and deposit: what the customer gave, over time (the benefit ledger's card). */
  firstReadAt?: string;
  readsTotal: number;
  recordsDeposited: number;
}

/**
 * The customer's grants page, company by company: when each company last read, how often lately, and
 * which fields it has received. Read-only queries over the customer's own events, through the
 * (customer, action, seq) index.
 */
export function createCompanyActivity(b: Backend) {
  // SQLite sums the 0/1 of a comparison; PostgreSQL's comparison is a boolean, counted with FILTER.
  const counts = rawStatement<{
    companyId: string;
    lastReadAt: string;
    readsSince: number;
    firstReadAt: string;
    readsTotal: number;
  }>(b, {
    sqlite: `SELECT company_id AS "companyId", max(time) AS "lastReadAt", sum(time >= ?) AS "readsSince",
            min(time) AS "firstReadAt", count(*) AS "readsTotal"
       FROM audit_events WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL
      GROUP BY company_id`,
    postgres: `SELECT company_id AS "companyId", max(time) AS "lastReadAt", count(*) FILTER (WHERE time >= ?) AS "readsSince",
            min(time) AS "firstReadAt", count(*) AS "readsTotal"
       FROM audit_events WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL
      GROUP BY company_id`,
  });
  const deposits = rawStatement<{ companyId: string; n: number }>(
    b,
    `SELECT company_id AS "companyId", count(*) AS n
       FROM audit_events WHERE customer_id = ? AND action = 'data.deposit' AND company_id IS NOT NULL
      GROUP BY company_id`,
  );
  const firstRead = rawStatement<{ t: string | null }>(
    b,
    `SELECT min(time) AS t FROM audit_events WHERE customer_id = ? AND action = 'data.read' AND company_id = ?`,
  );
  // The body is JSON text on both; each dialect has its own way to walk its `fields` array. Fields come in the
  // order they were first read (and, within one read, the order it named them), the same on both.
  const fields = rawStatement<{ companyId: string; field: string }>(b, {
    sqlite: `SELECT company_id AS "companyId", f.value AS field
       FROM audit_events, json_each(audit_events.body, '$.fields') AS f
      WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL
      GROUP BY company_id, f.value ORDER BY min(seq), min(f.key)`,
    postgres: `SELECT company_id AS "companyId", f.value AS field
       FROM audit_events, jsonb_array_elements_text(audit_events.body::jsonb -> 'fields') WITH ORDINALITY AS f(value, n)
      WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL
      GROUP BY company_id, f.value ORDER BY min(seq), min(f.n)`,
  });
  return {
    async of(customerId: string, since: string): Promise<Map<string, CompanyActivity>> {
      const out = new Map<string, CompanyActivity>();
      const rows = await counts.all(since, customerId);
      for (const r of rows) out.set(r.companyId, { ...r, fieldsRead: [], recordsDeposited: 0 });
      for (const r of await fields.all(customerId)) out.get(r.companyId)?.fieldsRead.push(r.field);
      for (const r of await deposits.all(customerId)) {
        const a = out.get(r.companyId);
        if (a) a.recordsDeposited = r.n;
        else
          out.set(r.companyId, {
            companyId: r.companyId,
            readsSince: 0,
            readsTotal: 0,
            fieldsRead: [],
            recordsDeposited: r.n,
          });
      }
      return out;
    },
    /** When the company first read this customer's data; undefined if it never did. */
    async firstReadAt(customerId: string, companyId: string): Promise<string | undefined> {
      return (await firstRead.get(customerId, companyId))?.t ?? undefined;
    },
  };
}

export type CompanyActivityQueries = ReturnType<typeof createCompanyActivity>;

/** How often a company read under one grant since a time (the 90-day reminder), through the (customer, action, seq) index. */
export function createGrantReadCounts(b: Backend) {
  const count = rawStatement<{ n: number }>(
    b,
    `SELECT count(*) AS n FROM audit_events
      WHERE customer_id = ? AND action = 'data.read' AND grant_id = ? AND time >= ?`,
  );
  return async (customerId: string, grantId: string, since: string): Promise<number> =>
    (await count.get(customerId, grantId, since))!.n;
}
