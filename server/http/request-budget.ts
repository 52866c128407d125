import type { Clock } from '../context.ts';
import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';
import { TooManyRequests } from './errors.ts';

export interface Budget {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
}

/**
 * Fixed-window request budgets kept in the database, so that every server in front of it shares one
 * count (an in-memory limiter would give each server its own). One statement per request: it adds one
 * to the window's count only while the count is under the limit, so a request over the budget changes
 * no row and costs no write (a flood past the limit is answered from a read). Keys name tenants by
 * their ids, never by anything personal (SECURITY.md "Floods and bounds").
 */
export function createRequestBudgets(b: Backend, clock: Clock) {
  // PostgreSQL wants the table named in the DO UPDATE's SET and WHERE (its bare `count` would be ambiguous).
  const take = rawStatement(b, {
    sqlite: `INSERT INTO rate_windows (key, window_end, count) VALUES (?, ?, 1)
     ON CONFLICT (key, window_end) DO UPDATE SET count = count + 1 WHERE count < ?`,
    postgres: `INSERT INTO rate_windows (key, window_end, count) VALUES (?, ?, 1)
     ON CONFLICT (key, window_end) DO UPDATE SET count = rate_windows.count + 1 WHERE rate_windows.count < ?`,
  });
  const purge = rawStatement(b, 'DELETE FROM rate_windows WHERE window_end <= ?');

  return {
    /** Counts one request against `key`; a request over the budget is a 429 with the window's remaining seconds. */
    async take(key: string, budget: Budget, what: string): Promise<void> {
      const now = clock.now().getTime();
      const windowMs = budget.windowSeconds * 1000;
      const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs;
      if ((await take.run(key, windowEnd, budget.limit)) === 1) return;
      throw new TooManyRequests(
        `Too many ${what}: at most ${budget.limit} per ${budget.windowSeconds} s; try again later`,
        Math.max(1, Math.ceil((windowEnd - now) / 1000)),
      );
    },
    /** Drops the windows that have ended (the sweep). */
    async purgeEnded(): Promise<number> {
      return purge.run(clock.now().getTime());
    },
  };
}

export type RequestBudgets = ReturnType<typeof createRequestBudgets>;
