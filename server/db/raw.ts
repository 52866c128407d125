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
}

export type RawText = string | { sqlite: string; postgres: string };

/** `?` placeholders to PostgreSQL's `$1, $2, …` (no statement here has a `?` inside a string literal). */
export function numberedPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

export function rawStatement<R = Record<string, unknown>>(b: Backend, text: RawText): RawStatement<R> {
  if (b.dialect === 'sqlite') {
    const sqliteText = typeof text === 'string' ? text : text.sqlite;
    let stmt: Database.Statement | undefined;
    const prepared = () => (stmt ??= (b.q() as unknown as { $client: Database.Database }).$client.prepare(sqliteText));
    return {
      all: async (...params) => prepared().all(...params) as R[],
      get: async (...params) => prepared().get(...params) as R | undefined,
      run: async (...params) => prepared().run(...params).changes,
    };
  }
  const pgText = numberedPlaceholders(typeof text === 'string' ? text : text.postgres);
  const name = `v_${createHash('sha256').update(pgText).digest('base64url').slice(0, 20)}`;
  const query = (params: unknown[]) =>
    (b.q() as unknown as { $client: pg.Pool | pg.PoolClient }).$client.query({ name, text: pgText, values: params });
  return {
    all: async (...params) => (await query(params)).rows as R[],
    get: async (...params) => (await query(params)).rows[0] as R | undefined,
    run: async (...params) => (await query(params)).rowCount ?? 0,
  };
}
