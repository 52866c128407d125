import type { Db } from '../connection.ts';
import type { Leases, RateCounters, ReplayKind, ReplayStore } from './types.ts';

/**
 * The SQLite implementations (ARCHITECTURE.md, "State shared between servers"). One SQLite file serves one
 * vault server, so these are what that server has always done, behind the interfaces PostgreSQL shares.
 * Prepared statements: the replay check sits on the token and DPoP paths.
 */
export function createSqliteLeases(db: Db): Leases {
  // One statement: insert, or take over a row whose holder is this one (renewal) or whose lease has expired.
  const acquire = db.$client.prepare(
    `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
  );
  const release = db.$client.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
  return {
    tryAcquire: async (name, holder, ttlMs, now) =>
      acquire.run(name, holder, now.getTime() + ttlMs, now.getTime()).changes === 1,
    release: async (name, holder) => void release.run(name, holder),
  };
}

/**
 * The replay cache over seen_jtis, as before this interface: one insert-or-nothing per id, for client
 * assertions and DPoP proofs alike. DPoP ids were never kept in memory: a restart would then accept a proof
 * again within its lifetime, and a prepared insert costs a few µs.
 */
export function createSqliteReplayStore(db: Db): ReplayStore {
  const insert = db.$client.prepare('INSERT INTO seen_jtis (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const purge = db.$client.prepare('DELETE FROM seen_jtis WHERE expires_at < ?');
  return {
    firstUse: async (kind: ReplayKind, jti, expiresAt) => insert.run(`${kind}:${jti}`, expiresAt).changes === 1,
    purgeExpired: async (nowIso) => purge.run(nowIso).changes,
  };
}

/**
 * Rate counters in SQLite. The server on SQLite does not use them (it keeps express-rate-limit's memory
 * store: one server per file, and a durable write per request would cost a commit); they exist so that the
 * table and its contract are the same on both back ends (test/storage/shared-state.test.ts).
 */
export function createSqliteRateCounters(db: Db): RateCounters {
  const hit = db.$client.prepare(
    `INSERT INTO rate_counters (key, window_start, hits) VALUES (?, ?, 1)
     ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1 RETURNING hits`,
  );
  const unhit = db.$client.prepare(
    'UPDATE rate_counters SET hits = hits - 1 WHERE key = ? AND window_start = ? AND hits > 0',
  );
  const count = db.$client.prepare('SELECT hits FROM rate_counters WHERE key = ? AND window_start = ?');
  const reset = db.$client.prepare('DELETE FROM rate_counters WHERE key = ?');
  const purge = db.$client.prepare('DELETE FROM rate_counters WHERE window_start < ?');
  return {
    hit: async (key, windowStart) => (hit.get(key, windowStart) as { hits: number }).hits,
    unhit: async (key, windowStart) => void unhit.run(key, windowStart),
    count: async (key, windowStart) => (count.get(key, windowStart) as { hits: number } | undefined)?.hits ?? 0,
    reset: async (key) => void reset.run(key),
    purgeBefore: async (before) => purge.run(before).changes,
  };
}
