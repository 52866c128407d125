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
}

/**
 * The customer's grants page, company by company: when each company last read, how often lately, and
 * which fields it has received. Read-only queries over the customer's own events, through the
 * (customer, action, seq) index.
 */
export function createCompanyActivity(db: Db) {
  const counts = db.$client.prepare(
    `SELECT company_id AS companyId, max(time) AS lastReadAt, sum(time >= ?) AS readsSince
       FROM audit_events WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL
      GROUP BY company_id`,
  );
  const fields = db.$client.prepare(
    `SELECT DISTINCT company_id AS companyId, f.value AS field
       FROM audit_events, json_each(audit_events.body, '$.fields') AS f
      WHERE customer_id = ? AND action = 'data.read' AND company_id IS NOT NULL`,
  );
  return {
    of(customerId: string, since: string): Map<string, CompanyActivity> {
      const out = new Map<string, CompanyActivity>();
      const rows = counts.all(since, customerId) as { companyId: string; lastReadAt: string; readsSince: number }[];
      for (const r of rows)
        out.set(r.companyId, {
          companyId: r.companyId,
          lastReadAt: r.lastReadAt,
          readsSince: r.readsSince,
          fieldsRead: [],
        });
      for (const r of fields.all(customerId) as { companyId: string; field: string }[])
        out.get(r.companyId)?.fieldsRead.push(r.field);
      return out;
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
  return (customerId: string, grantId: string, since: string): number =>
    (count.get(customerId, grantId, since) as { n: number }).n;
}
