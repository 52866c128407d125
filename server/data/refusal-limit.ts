import type { Db } from '../db/connection.ts';

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
export function createRefusalLimit(db: Db) {
  const count = db.$client.prepare('SELECT count FROM refusal_windows WHERE company_id = ? AND minute = ?').pluck();
  const bump = db.$client
    .prepare(
      'INSERT INTO refusal_windows (company_id, minute, count) VALUES (?, ?, 1) ON CONFLICT (company_id, minute) DO UPDATE SET count = count + 1 RETURNING count',
    )
    .pluck();
  // Old windows are of no further use: dropped when the company's next window opens.
  const purge = db.$client.prepare('DELETE FROM refusal_windows WHERE company_id = ? AND minute < ?');
  const minuteOf = (now: Date) => Math.floor(now.getTime() / REFUSAL_WINDOW_MS);

  // Windows of companies that have not been refused since: ended, deleted by the sweep (SECURITY.md).
  const ended = db.$client.prepare(
    'DELETE FROM refusal_windows WHERE rowid IN (SELECT rowid FROM refusal_windows WHERE minute < ? LIMIT 5000)',
  );

  return {
    /** Deletes every ended window; the sweep calls it. */
    purgeEnded: async (now: Date): Promise<number> => ended.run(minuteOf(now)).changes,

    /** Call inside the request's unit, before anything else: a company over the limit gets no further. */
    async check(companyId: string, now: Date): Promise<RefusalState> {
      const minute = minuteOf(now);
      const n = (count.get(companyId, minute) as number | undefined) ?? 0;
      if (n < REFUSALS_PER_WINDOW) return { over: false };
      const first = n === REFUSALS_PER_WINDOW;
      if (first) bump.run(companyId, minute);
      const end = (minute + 1) * REFUSAL_WINDOW_MS;
      return {
        over: true,
        first,
        retryAfterSeconds: Math.max(1, Math.ceil((end - now.getTime()) / 1000)),
        windowStart: new Date(minute * REFUSAL_WINDOW_MS).toISOString(),
        windowEnd: new Date(end).toISOString(),
      };
    },

    /** Counts one refusal; call in the unit that refuses, so it commits with the refusal's audit event. */
    async record(companyId: string, now: Date): Promise<void> {
      const minute = minuteOf(now);
      if (bump.get(companyId, minute) === 1) purge.run(companyId, minute);
    },
  };
}

export type RefusalLimit = ReturnType<typeof createRefusalLimit>;
