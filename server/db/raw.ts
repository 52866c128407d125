import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { Backend } from './backend.ts';

/**
 * A hand-written statement for the few hot or awkward queries the drizzle builder does not serve well
 * (ARCHITECTURE.md, "How to add a storage back end"), on either back end. The text uses `?` placeholders; one text
 * serves both dialects when it is plain SQL, or each dialect gets its own where they differ (PostgreSQL wants the
 * target table named in `ON CONFLICT … DO UPDATE SET n = t.n + 1`, for instance).
 *
 * SQLite: one better-sqlite3 prepared statement, compiled on first use. PostgreSQL: a named prepared statement
 * (its name derived from its text, so every connection prepares it once) on the executor of the moment: the unit's
 * connection inside a unit, the pool outside. Raw rows are what the database returns: booleans are 0/1 on SQLite and
 * true/false on PostgreSQL, so callers test them for truth, never `=== 1`.
 */
export interface RawStatement<R> {
  all(...params: unknown[]): Promise<R[]>;
  get(...params: unknown[]): Promise<R | undefined>;
  /** Runs a write; resolves with the number of rows it changed. */
  run(...params: unknown[]): Promise<number>;
  /**
   * This statement with these parameters as one part of a read-ahead (server/db/read-ahead.ts): on PostgreSQL, its
   * rows are then fetched with the others in one round trip and served to its next `all` or `get` with the same
   * parameters. `bytea`: the columns whose values are bytea (Buffers). Undefined on SQLite, where a statement is no
   * round trip, and for parameters other than texts, numbers, booleans and nulls.
   */
  ahead(params: unknown[], bytea?: readonly string[]): ReadAheadPart | undefined;
  /**
   * The rows read ahead for this statement with these parameters, taken as `all` would take them, or undefined when
   * there are none (no read-ahead, or it has ended): never a round trip. For a caller that has a narrower statement
   * of its own to send otherwise.
   */
  served(...params: unknown[]): R[] | undefined;
}

/** One statement of a read-ahead: its `?` text, its parameters, and the key its rows are served under. */
export interface ReadAheadPart {
  key: string;
  text: string;
  params: unknown[];
  bytea: readonly string[];
}

export type RawText = string | { sqlite: string; postgres: string };

/**
 * `?` placeholders to PostgreSQL's `$1, $2, …` (no statement here has a `?` inside a string literal); `after`: the
 * parameters before this text's in a statement that holds several (server/db/read-ahead.ts).
 */
export function numberedPlaceholders(text: string, after = 0): string {
  let n = after;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** The name a statement is prepared under on PostgreSQL: derived from its text, so each connection prepares it once. */
export const preparedName = (pgText: string) =>
  `v_${createHash('sha256').update(pgText).digest('base64url').slice(0, 20)}`;

export function rawStatement<R = Record<string, unknown>>(b: Backend, text: RawText): RawStatement<R> {
  if (b.dialect === 'sqlite') {
    const sqliteText = typeof text === 'string' ? text : text.sqlite;
    let stmt: Database.Statement | undefined;
    const prepared = () => (stmt ??= (b.q() as unknown as { $client: Database.Database }).$client.prepare(sqliteText));
    return {
      all: async (...params) => prepared().all(...params) as R[],
      get: async (...params) => prepared().get(...params) as R | undefined,
      run: async (...params) => prepared().run(...params).changes,
      ahead: () => undefined,
      served: () => undefined,
    };
  }
  const original = typeof text === 'string' ? text : text.postgres;
  const pgText = numberedPlaceholders(original);
  const name = preparedName(pgText);
  const keyOf = (params: unknown[]) => `${name} ${JSON.stringify(params)}`;
  // Rows fetched ahead for exactly this statement and these parameters are served once, without a round trip; any
  // other statement goes through b.q(), which ends the unit's read-ahead (server/db/pg/unit.ts).
  const served = (params: unknown[]): unknown[] | undefined => {
    const ahead = b.readAhead?.();
    if (!ahead || ahead.size === 0) return undefined;
    const key = keyOf(params);
    const rows = ahead.get(key);
    if (rows) ahead.delete(key);
    return rows;
  };
  const query = async (params: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> => {
    const rows = served(params);
    if (rows) return { rows, rowCount: rows.length };
    return (b.q() as unknown as { $client: pg.Pool | pg.PoolClient }).$client.query({
      name,
      text: pgText,
      values: params,
    });
  };
  return {
    all: async (...params) => (await query(params)).rows as R[],
    get: async (...params) => (await query(params)).rows[0] as R | undefined,
    run: async (...params) => (await query(params)).rowCount ?? 0,
    // Only texts, numbers, booleans and nulls: their JSON text tells apart exactly the values the driver sends apart
    // (a Date or a Buffer would need its own rule), so a key never serves one statement another's rows.
    ahead: (params, bytea = []) =>
      params.every((p) => p === null || ['string', 'number', 'boolean'].includes(typeof p))
        ? { key: keyOf(params), text: original, params, bytea }
        : undefined,
    served: (...params) => served(params) as R[] | undefined,
  };
}
