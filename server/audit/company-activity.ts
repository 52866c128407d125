import type { Db } from '../db/connection.ts';

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
export function createCompanyActivity(db: Db) {
  const counts = db.$client.prepare(
    `SELECT company_id AS companyId, max(time) AS lastReadAt, sum(time >= ?) AS readsSince, min(time) AS firstReadAt,
            count(*) AS readsTotal
       FROM audit_events WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL
      GROUP BY company_id`,
  );
  const deposits = db.$client.prepare(
    `SELECT company_id AS companyId, count(*) AS n
       FROM audit_events WHERE customer_id = ? AND action = 'data.deposit' AND company_id IS NOT NULL
      GROUP BY company_id`,
  );
  const firstRead = db.$client.prepare(
    `SELECT min(time) AS t FROM audit_events WHERE customer_id = ? AND action = 'data.read' AND company_id = ?`,
  );
  const fields = db.$client.prepare(
    `SELECT DISTINCT company_id AS companyId, f.value AS field
       FROM audit_events, json_each(audit_events.body, '$.fields') AS f
      WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL`,
  );
  return {
    async of(customerId: string, since: string): Promise<Map<string, CompanyActivity>> {
      const out = new Map<string, CompanyActivity>();
      const rows = counts.all(since, customerId) as {
        companyId: string;
        lastReadAt: string;
        readsSince: number;
        firstReadAt: string;
        readsTotal: number;
      }[];
      for (const r of rows) out.set(r.companyId, { ...r, fieldsRead: [], recordsDeposited: 0 });
      for (const r of fields.all(customerId) as { companyId: string; field: string }[])
        out.get(r.companyId)?.fieldsRead.push(r.field);
      for (const r of deposits.all(customerId) as { companyId: string; n: number }[]) {
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
      return (firstRead.get(customerId, companyId) as { t: string | null } | undefined)?.t ?? undefined;
    },
  };
}

export type CompanyActivityQueries = ReturnType<typeof createCompanyActivity>;

/** How often a company read under one grant since a time (the 90-day reminder), through the (customer, action, seq) index. */
export function createGrantReadCounts(db: Db) {
  const count = db.$client.prepare(
    `SELECT count(*) AS n FROM audit_events
      WHERE customer_id = ? AND action = 'data.read' AND grant_id = ? AND time >= ?`,
  );
  return async (customerId: string, grantId: string, since: string): Promise<number> =>
    (count.get(customerId, grantId, since) as { n: number }).n;
}
