import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';
import type { Usage } from '../policy/types.ts';

const HOUR = 3600_000;

/**
 * Usage budgets (reads per hour and per day) counted in hour buckets, updated in the transaction of
 * the read itself. The last hour is a sliding-window estimate: this hour's count plus the previous
 * hour's weighted by how much of it still lies within the window. Constant cost per read, whatever
 * the grant's history (counting audit rows would grow with it).
 */
export function createUsage(b: Backend) {
  // PostgreSQL wants the table named in the DO UPDATE's SET.
  const bump = rawStatement(b, {
    sqlite:
      'INSERT INTO usage_counters (customer_id, grant_id, action, hour, count) VALUES (?, ?, ?, ?, 1) ON CONFLICT (customer_id, grant_id, action, hour) DO UPDATE SET count = count + 1',
    postgres:
      'INSERT INTO usage_counters (customer_id, grant_id, action, hour, count) VALUES (?, ?, ?, ?, 1) ON CONFLICT (customer_id, grant_id, action, hour) DO UPDATE SET count = usage_counters.count + 1',
  });
  // Several uses at once: a batch's sum (BatchTally), written once before its COMMIT.
  const bumpBy = rawStatement(
    b,
    'INSERT INTO usage_counters (customer_id, grant_id, action, hour, count) VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, grant_id, action, hour) DO UPDATE SET count = usage_counters.count + excluded.count',
  );
  // PostgreSQL: a batch's sums for several counters in ONE statement (server/db/tally.ts flushCounts); each key once,
  // as ON CONFLICT DO UPDATE may not touch a row twice in one statement. SQLite writes each (no round trips).
  const bumpMany =
    b.dialect === 'postgres'
      ? rawStatement(
          b,
          `INSERT INTO usage_counters (customer_id, grant_id, action, hour, count)
             SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
             ON CONFLICT (customer_id, grant_id, action, hour) DO UPDATE SET count = usage_counters.count + excluded.count`,
        )
      : undefined;
  const writeMany = (rows: { row: readonly unknown[]; n: number }[]) =>
    bumpMany!.run(
      ...[0, 1, 2, 3].map((i) => rows.map((r) => r.row[i])),
      rows.map((r) => r.n),
    );
  const key = (customerId: string, grantId: string, action: string, hour: number) =>
    `usage ${customerId} ${grantId} ${action} ${hour}`;
  // On PostgreSQL the rows come with the snapshot they were read in (one row of nulls when there are none): the
  // other lanes' uses it already holds are not counted again from memory (server/db/pg/snapshot.ts).
  const window = rawStatement<{ hour: number | null; count: number | null; snap?: string }>(b, {
    sqlite: 'SELECT hour, count FROM usage_counters WHERE customer_id = ? AND grant_id = ? AND action = ? AND hour > ?',
    postgres: `SELECT u.hour, u.count, s.snap FROM (SELECT pg_current_snapshot()::text AS snap) AS s
      LEFT JOIN usage_counters AS u ON u.customer_id = ? AND u.grant_id = ? AND u.action = ? AND u.hour > ?`,
  });
  // Buckets older than the longest window (a day) count for nothing: the sweep deletes them (SECURITY.md).
  // In batches, by SQLite's rowid or PostgreSQL's ctid (neither has DELETE … LIMIT).
  const ended = rawStatement(b, {
    sqlite: 'DELETE FROM usage_counters WHERE rowid IN (SELECT rowid FROM usage_counters WHERE hour <= ? LIMIT 5000)',
    postgres: 'DELETE FROM usage_counters WHERE ctid IN (SELECT ctid FROM usage_counters WHERE hour <= ? LIMIT 5000)',
  });
  return {
    /** Deletes hour buckets that no window reaches any more; the sweep calls it. */
    async purgeEnded(now: Date): Promise<number> {
      return ended.run(Math.floor(now.getTime() / HOUR) - 25);
    },
    /** of()'s rows, fetched ahead with the unit's other reads (server/db/read-ahead.ts). */
    ofAhead: (customerId: string, grantId: string, action: string, now: Date) =>
      window.ahead([customerId, grantId, action, Math.floor(now.getTime() / HOUR) - 24]),
    /** Earlier uses of a grant for one action, as the policy's usage facts. */
    async of(customerId: string, grantId: string, action: string, now: Date): Promise<Usage> {
      const t = now.getTime();
      const current = Math.floor(t / HOUR);
      const rows = await window.all(customerId, grantId, action, current - 24);
      // Inside a batch that adds its counts up before writing them, the uses counted so far and not yet written: this
      // hour's, and the previous hour's too (a batch that began before the hour turned counted them there).
      const tally = b.batchTally?.();
      const snap = rows[0]?.snap;
      const pendingNow = tally?.pending(key(customerId, grantId, action, current), snap) ?? 0;
      const pendingBefore = tally?.pending(key(customerId, grantId, action, current - 1), snap) ?? 0;
      let thisHour = pendingNow;
      let previous = pendingBefore;
      let day = pendingNow + pendingBefore;
      for (const r of rows) {
        if (r.hour === null || r.count === null) continue;
        if (r.hour === current) thisHour += r.count;
        else if (r.hour === current - 1) previous += r.count;
        day += r.count;
      }
      const elapsed = (t % HOUR) / HOUR;
      return { readsLastHour: thisHour + Math.floor(previous * (1 - elapsed)), readsLastDay: day };
    },
    /** Counts one use; call inside the audited transaction so it commits with the read. */
    async record(customerId: string, grantId: string, action: string, now: Date): Promise<void> {
      const hour = Math.floor(now.getTime() / HOUR);
      const tally = b.batchTally?.();
      // The row stays unlocked until the batch writes the sum, so the server's other batches need not wait for it.
      if (tally)
        tally.add(
          key(customerId, grantId, action, hour),
          (n) => bumpBy.run(customerId, grantId, action, hour, n),
          bumpMany && { write: writeMany, row: [customerId, grantId, action, hour] },
        );
      else await bump.run(customerId, grantId, action, hour);
    },
  };
}

export type UsageCounter = ReturnType<typeof createUsage>;
