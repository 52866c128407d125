import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';

/** Refused data requests a company may make per window before the data API answers it 429 (SECURITY.md). */
export const REFUSALS_PER_WINDOW = 60;
export const REFUSAL_WINDOW_MS = 60_000;

/** Where a company stands in the current window: under the limit, or over it (`first`: the 429 to record). */
export type RefusalState =
  { over: false } | { over: true; first: boolean; retryAfterSeconds: number; windowStart: string; windowEnd: string };

/**
 * The per-company refusal limit. Refused reads and deposits cost the vault an audit event each, and a
 * flood of them would bury a company's real reads in the customer's activity; so they are counted per
 * company in fixed one-minute windows, in the database (correct across servers) and in the unit of the
 * request that was refused. Once a window holds the limit, the company's data requests are answered
 * 429 until it ends. The count is raised once past the limit to mark that the 429 has been recorded,
 * so the audit trail gets one event per window and not one per throttled request.
 */
export function createRefusalLimit(b: Backend) {
  const count = rawStatement<{ count: number }>(
    b,
    'SELECT count FROM refusal_windows WHERE company_id = ? AND minute = ?',
  );
  // PostgreSQL wants the table named in the DO UPDATE's SET.
  const bump = rawStatement<{ count: number }>(b, {
    sqlite:
      'INSERT INTO refusal_windows (company_id, minute, count) VALUES (?, ?, 1) ON CONFLICT (company_id, minute) DO UPDATE SET count = count + 1 RETURNING count',
    postgres:
      'INSERT INTO refusal_windows (company_id, minute, count) VALUES (?, ?, 1) ON CONFLICT (company_id, minute) DO UPDATE SET count = refusal_windows.count + 1 RETURNING count',
  });
  // Old windows are of no further use: dropped when the company's next window opens.
  const purge = rawStatement(b, 'DELETE FROM refusal_windows WHERE company_id = ? AND minute < ?');
  const minuteOf = (now: Date) => Math.floor(now.getTime() / REFUSAL_WINDOW_MS);
  const overState = (now: Date, first: boolean): RefusalState => {
    const minute = minuteOf(now);
    const end = (minute + 1) * REFUSAL_WINDOW_MS;
    return {
      over: true,
      first,
      retryAfterSeconds: Math.max(1, Math.ceil((end - now.getTime()) / 1000)),
      windowStart: new Date(minute * REFUSAL_WINDOW_MS).toISOString(),
      windowEnd: new Date(end).toISOString(),
    };
  };

  // Windows of companies that have not been refused since: ended, deleted by the sweep (SECURITY.md).
  // In batches, by SQLite's rowid or PostgreSQL's ctid (neither has DELETE … LIMIT).
  const ended = rawStatement(b, {
    sqlite:
      'DELETE FROM refusal_windows WHERE rowid IN (SELECT rowid FROM refusal_windows WHERE minute < ? LIMIT 5000)',
    postgres:
      'DELETE FROM refusal_windows WHERE ctid IN (SELECT ctid FROM refusal_windows WHERE minute < ? LIMIT 5000)',
  });

  return {
    /** Deletes every ended window; the sweep calls it. */
    purgeEnded: async (now: Date): Promise<number> => ended.run(minuteOf(now)),

    /**
     * check()'s count, fetched ahead with the unit's other reads in one statement (server/data/use-read-ahead.ts):
     * on PostgreSQL a throttled request costs that one statement, whose parts are all index look-ups, instead of
     * one look-up.
     */
    checkAhead: (companyId: string, now: Date) => count.ahead([companyId, minuteOf(now)]),
    /**
     * Call inside the request's unit, before anything else decides (a read-ahead may have fetched its count with
     * the unit's other reads): a company over the limit gets no further.
     */
    async check(companyId: string, now: Date): Promise<RefusalState> {
      const minute = minuteOf(now);
      const n = (await count.get(companyId, minute))?.count ?? 0;
      if (n < REFUSALS_PER_WINDOW) return { over: false };
      // Two units that both read the count at the limit (two servers, or two batches of one server at once) both
      // raise it; the row's lock lets only the first see limit + 1, so the 429 is recorded once per window.
      const first = n === REFUSALS_PER_WINDOW && (await bump.get(companyId, minute))?.count === REFUSALS_PER_WINDOW + 1;
      return overState(now, first);
    },

    /**
     * Counts one refusal; call in the unit that refuses, before it audits the refusal, so the count commits with
     * the refusal's audit event. The raise waits for any other unit in flight that raised the same window, so it
     * returns the true count: over the limit (refusals counted by other units since this unit's check), this
     * refusal is answered as throttled instead, and the window keeps exactly the limit of audited refusals.
     */
    async record(companyId: string, now: Date): Promise<RefusalState> {
      const minute = minuteOf(now);
      const n = (await bump.get(companyId, minute))?.count ?? 0;
      if (n === 1) await purge.run(companyId, minute);
      return n > REFUSALS_PER_WINDOW ? overState(now, n === REFUSALS_PER_WINDOW + 1) : { over: false };
    },
  };
}

export type RefusalLimit = ReturnType<typeof createRefusalLimit>;
