import { inTransaction, type Db } from './connection.ts';
import type { PgDb, PgSchema } from './pg/pool.ts';
import type { AuditRow } from './pg/audit-rows.ts';
import * as pgSchema from './pg/schema.ts';
import type { AuditLaneCursor, PgUnits } from './pg/unit.ts';
import type { BatchTally } from './tally.ts';
import * as sqliteSchema from './schema.ts';
import { batchHeadOf, batchTallyOf, unitMemoOf, type AuditHeadCursor } from './unit.ts';

/**
 * What a store sees of the database, the same on both back ends (ARCHITECTURE.md, "How to add a storage back end",
 * step 3). A store builds its statements with drizzle on `q()` over the tables in `t`, awaits them, and never
 * learns which dialect runs them.
 *
 * Both are typed as PostgreSQL's: its builder API is the asynchronous one (no `.get()`, `.all()`, `.run()`), which
 * drizzle's SQLite builders also honour (every SQLite query is awaitable), so a store written against these types
 * runs on either. The two schemas have the same table and column names and the same JavaScript types (the drift
 * test, server/db/pg/schema.test.ts, fails otherwise), which is what makes the SQLite tables stand in for the
 * PostgreSQL ones. A builder call that only PostgreSQL has would type-check and fail on SQLite: the suite runs on
 * SQLite at every commit, so such a call does not get far.
 */
export interface Backend {
  readonly dialect: 'sqlite' | 'postgres';
  /** The tables of the dialect that runs. */
  readonly t: PgSchema;
  /** Where a statement goes right now: inside a unit its transaction, outside the connection (or the pool). */
  q(): PgDb;
  /** One unit of work: all of fn's statements commit together or none does (ARCHITECTURE.md). */
  inTransaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only, for the audit appender: the chain of the group commit's batch the unit of the moment runs in,
   * whose lock that batch holds (server/db/pg/group-commit.ts). Undefined anywhere else.
   */
  auditLane?(): AuditLaneCursor | undefined;
  /**
   * For counters every unit of a group commit's batch bumps (see BatchTally), on either back end: written once per
   * batch before its COMMIT. Undefined outside a batch's unit.
   */
  batchTally?(): BatchTally | undefined;
  /**
   * SQLite only: the audit head as the group commit's batch left it (unit.ts batchHeadOf), so that an append links
   * to it without reading it back. Undefined outside a batch's unit (PostgreSQL's batches keep theirs in auditLane).
   */
  batchHead?(): AuditHeadCursor | undefined;
  /**
   * Rows a store may keep for the rest of the unit of the moment (PgUnits.unitMemo, unit.ts unitMemoOf): on
   * PostgreSQL every statement is a round trip, on SQLite a statement costs more than a map look-up. Undefined
   * outside a unit.
   */
  unitMemo?(): Map<string, unknown> | undefined;
  /**
   * PostgreSQL only: rows fetched ahead for the unit of the moment (server/db/read-ahead.ts), by statement and
   * parameters, each served once to the statement it was fetched for; any other statement of the unit ends them.
   * Undefined outside a unit.
   */
  readAhead?(): Map<string, unknown[]> | undefined;
  /**
   * PostgreSQL only: the connection of the unit of the moment, for its read-ahead, which is not a statement that
   * touches the unit (PgUnits.readAheadClient). Undefined outside a unit.
   */
  readAheadClient?(): unknown;
  /**
   * PostgreSQL only: hands an audit row to the group commit's batch instead of inserting it, if the unit of the
   * moment has sent no statement but its read-ahead (PgUnits.deferAudit); false when the caller must insert it.
   */
  deferAudit?(row: AuditRow): boolean;
}

/** Rows a write changed: better-sqlite3's `changes`, node-postgres's `rowCount`. */
export function changedRows(result: unknown): number {
  const r = result as { changes?: number; rowCount?: number | null };
  return r.changes ?? r.rowCount ?? 0;
}

export function sqliteBackend(db: Db): Backend {
  const q = db as unknown as PgDb;
  return {
    dialect: 'sqlite',
    t: sqliteSchema as unknown as PgSchema,
    q: () => q,
    inTransaction: (fn) => inTransaction(db, fn),
    unitMemo: () => unitMemoOf(db.$client),
    batchTally: () => batchTallyOf(db.$client),
    batchHead: () => batchHeadOf(db.$client),
  };
}

export function postgresBackend(units: PgUnits): Backend {
  return {
    dialect: 'postgres',
    t: pgSchema,
    q: units.current,
    inTransaction: units.inTransaction,
    auditLane: units.auditLane,
    batchTally: units.batchTally,
    unitMemo: units.unitMemo,
    readAhead: units.readAhead,
    readAheadClient: units.readAheadClient,
    deferAudit: units.deferAudit,
  };
}
