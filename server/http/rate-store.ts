import type { Store, Options, ClientRateLimitInfo } from 'express-rate-limit';
import type { Clock } from '../context.ts';
import type { RateCounters } from '../db/shared/types.ts';

/** Gives each limiter its own store (express-rate-limit refuses one store shared by two limiters). */
export type RateStores = (limiterId: string) => Store;

/** Windows are kept this long after they start, then purged: the longest window any limiter uses (sign-ups). */
export const RATE_COUNTER_RETAIN_MS = 3_600_000;

/**
 * An express-rate-limit store over fixed-window counters in the database, so that every server behind a
 * load balancer counts against the same window (ARCHITECTURE.md, "State shared between servers"). Windows
 * start at multiples of windowMs on the injected clock; keys are already hashed (rate-limit.ts) and prefixed
 * with the limiter's id.
 */
export function counterStores(counters: RateCounters, clock: Clock): RateStores {
  return (limiterId) => {
    let windowMs = 60_000;
    const start = () => {
      const now = clock.now().getTime();
      return now - (now % windowMs);
    };
    const info = (totalHits: number, windowStart: number): ClientRateLimitInfo => ({
      totalHits,
      resetTime: new Date(windowStart + windowMs),
    });
    const k = (key: string) => `${limiterId}|${key}`;
    return {
      localKeys: false,
      init(options: Options) {
        windowMs = options.windowMs;
      },
      async increment(key) {
        const s = start();
        return info(await counters.hit(k(key), s), s);
      },
      async decrement(key) {
        await counters.unhit(k(key), start());
      },
      async resetKey(key) {
        await counters.reset(k(key));
      },
      async get(key) {
        const s = start();
        return info(await counters.count(k(key), s), s);
      },
    };
  };
}

/**
 * The sweep task that drops windows older than RATE_COUNTER_RETAIN_MS (SECURITY.md "Floods and bounds"); the
 * in-memory store forgets on its own. An asynchronous store's failure is logged, as a task's throw is.
 */
export function purgeRateCounters(counters: RateCounters) {
  return {
    name: 'http.rate-counters',
    run: (now: Date) => counters.purgeBefore(now.getTime() - RATE_COUNTER_RETAIN_MS),
  };
}
