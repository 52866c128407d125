/**
 * State that lives in one process today and must hold across several vault servers (ARCHITECTURE.md, "State
 * shared between servers"). Each interface has a SQLite implementation (better-sqlite3) and a
 * PostgreSQL one (node-postgres), both asynchronous.
 */

/** A named job that one server at a time may run: the sweep (expiry, purges, checkpoints). */
export interface Leases {
  /**
   * True when `holder` holds `name` until now + ttlMs: it was free, expired, or already held by `holder`
   * (a renewal). False while another holder's lease is unexpired.
   */
  tryAcquire(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean>;
  /** Gives the lease up at once (a clean stop), so another server need not wait for it to expire. */
  release(name: string, holder: string): Promise<void>;
}

/** The namespaces of one-time JWT ids: RFC 7523 §3 item 7 client assertions and RFC 9449 §11.1 DPoP proofs. */
export type ReplayKind = 'client-assertion' | 'dpop';

export interface ReplayStore {
  /** True the first time (kind, jti) is seen; false on every later use until it is purged after `expiresAt`. */
  firstUse(kind: ReplayKind, jti: string, expiresAt: string): Promise<boolean>;
  /** Forgets ids whose expiry is before `nowIso` (the sweep). */
  purgeExpired(nowIso: string): Promise<number>;
}

/** Fixed-window hit counters, one row per (key, window start); what the rate-limit store is built on. */
export interface RateCounters {
  /** Adds one hit and returns the window's count after it. */
  hit(key: string, windowStart: number): Promise<number>;
  /** Takes one hit back (a request the limiter decided not to count), never below zero. */
  unhit(key: string, windowStart: number): Promise<void>;
  /** The window's count, 0 when there is none. */
  count(key: string, windowStart: number): Promise<number>;
  /** Forgets every window of `key`. */
  reset(key: string): Promise<void>;
  /** Drops windows that started before `before` (ms since the epoch); the sweep. */
  purgeBefore(before: number): Promise<number>;
}
