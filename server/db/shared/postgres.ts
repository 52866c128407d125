import pg from 'pg';
import type { Leases, RateCounters, ReplayKind, ReplayStore } from './types.ts';

/** Bounds of the pool that serves shared state (SECURITY.md "Floods and bounds"). */
export const SHARED_POOL = {
  /** Connections per server. */
  max: 10,
  /** A connection attempt that takes longer fails the call. */
  connectTimeoutMs: 5_000,
  /** A query running longer is cancelled by the server (statement_timeout). */
  statementTimeoutMs: 5_000,
  /** An idle connection is closed after this. */
  idleTimeoutMs: 30_000,
};

export function createSharedPool(url: string): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: SHARED_POOL.max,
    connectionTimeoutMillis: SHARED_POOL.connectTimeoutMs,
    idleTimeoutMillis: SHARED_POOL.idleTimeoutMs,
    statement_timeout: SHARED_POOL.statementTimeoutMs,
  });
}

/**
 * The PostgreSQL implementations (ARCHITECTURE.md, "State shared between servers"): each call is one
 * statement, atomic on its own, so servers racing on the same row need no explicit transaction or lock.
 */
export function createPgLeases(pool: pg.Pool): Leases {
  return {
    async tryAcquire(name, holder, ttlMs, now) {
      const r = await pool.query(
        `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
        [name, holder, now.getTime() + ttlMs, now.getTime()],
      );
      return r.rowCount === 1;
    },
    async release(name, holder) {
      await pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
    },
  };
}

/**
 * `current`: where the statements of the moment run (server/db/pg/unit.ts). A jti claimed inside a unit (a group
 * commit's batch) is recorded on the unit's own connection and commits with it: asking the pool for a second
 * connection there could wait for ever while every pooled connection waits for the batch's chain lock.
 */
export function createPgReplayStore(pool: pg.Pool, current: () => pg.Pool | pg.ClientBase = () => pool): ReplayStore {
  return {
    async firstUse(kind: ReplayKind, jti, expiresAt) {
      const r = await current().query(
        'INSERT INTO seen_jtis (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [`${kind}:${jti}`, expiresAt],
      );
      return r.rowCount === 1;
    },
    async purgeExpired(nowIso) {
      return (await pool.query('DELETE FROM seen_jtis WHERE expires_at < $1', [nowIso])).rowCount ?? 0;
    },
  };
}

/** Over the UNLOGGED rate_counters table: one upsert per hit, no WAL flush. */
export function createPgRateCounters(pool: pg.Pool): RateCounters {
  return {
    async hit(key, windowStart) {
      const r = await pool.query<{ hits: number }>(
        `INSERT INTO rate_counters (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + 1 RETURNING hits`,
        [key, windowStart],
      );
      return r.rows[0]!.hits;
    },
    async unhit(key, windowStart) {
      await pool.query('UPDATE rate_counters SET hits = hits - 1 WHERE key = $1 AND window_start = $2 AND hits > 0', [
        key,
        windowStart,
      ]);
    },
    async count(key, windowStart) {
      const r = await pool.query<{ hits: number }>(
        'SELECT hits FROM rate_counters WHERE key = $1 AND window_start = $2',
        [key, windowStart],
      );
      return r.rows[0]?.hits ?? 0;
    },
    async reset(key) {
      await pool.query('DELETE FROM rate_counters WHERE key = $1', [key]);
    },
    async purgeBefore(before) {
      return (await pool.query('DELETE FROM rate_counters WHERE window_start < $1', [before])).rowCount ?? 0;
    },
  };
}
