import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { SHARED_POOL } from '../shared/postgres.ts';
import * as schema from './schema.ts';

/**
 * Bounds of the one pool per server that the PostgreSQL stores run on (SECURITY.md "Floods and bounds"). The
 * connection, timeout and idle bounds are the shared-state pool's (so the shared-state stores may run on this
 * pool too); what this pool adds is named here.
 */
export const PG_POOL = {
  ...SHARED_POOL,
  /**
   * A session that sits inside an open transaction without sending anything for longer is ended by PostgreSQL
   * (idle_in_transaction_session_timeout): a unit stuck on something other than the database cannot hold its
   * locks, or a group commit's batch, for longer than this.
   */
  idleInTransactionTimeoutMs: 5_000,
  /** Shown in pg_stat_activity, so an operator can tell the vault's sessions from others. */
  applicationName: 'consent-vault',
};

/**
 * `bigint` (int8) columns and `count(*)` come back as JavaScript numbers, as SQLite gives them: the vault's int8
 * values are sequence numbers and millisecond times, far below 2^53.
 */
const INT8 = 20;
function typeParser(oid: number, format?: 'text' | 'binary') {
  if (oid === INT8 && format !== 'binary') return (v: string) => Number(v);
  return pg.types.getTypeParser(oid, format);
}

export type PgSchema = typeof schema;
/** A drizzle handle on the PostgreSQL schema: the pool's, or one bound to a single connection (unit.ts). */
export type PgDb = NodePgDatabase<PgSchema>;

export interface PgStorePool {
  pool: pg.Pool;
  /** Statements outside any unit run on the pool: each one on whichever connection is free. */
  db: PgDb;
  close(): Promise<void>;
}

export function createPgPool(url: string, opts: { applicationName?: string } = {}): PgStorePool {
  const pool = new pg.Pool({
    connectionString: url,
    max: PG_POOL.max,
    connectionTimeoutMillis: PG_POOL.connectTimeoutMs,
    idleTimeoutMillis: PG_POOL.idleTimeoutMs,
    statement_timeout: PG_POOL.statementTimeoutMs,
    idle_in_transaction_session_timeout: PG_POOL.idleInTransactionTimeoutMs,
    application_name: opts.applicationName ?? PG_POOL.applicationName,
    types: { getTypeParser: typeParser },
  });
  // An idle connection whose server goes away emits 'error' on the pool; unheard, that would end the process.
  // The pool has already dropped the connection, and the next checkout opens a fresh one, so there is nothing
  // to do here: the calls that need the database fail (503) until it is back (server/db/pg/errors.ts).
  pool.on('error', () => {});
  return { pool, db: pgDrizzle(pool), close: () => pool.end() };
}

/** A drizzle handle over a pool or over one checked-out connection, with the relational schema. */
export function pgDrizzle(client: pg.Pool | pg.PoolClient): PgDb {
  return drizzle({ client, schema });
}
