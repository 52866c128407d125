import { rawStatement, type RawText } from '../../server/db/raw.ts';
import type { AppContext } from '../../server/context.ts';

/**
 * Dialect-neutral looks at a test vault's rows, so that a test file runs on both passes (vitest.postgres.config.ts).
 * The text takes `?` placeholders on both back ends, or `{ sqlite, postgres }` where the SQL differs. What comes back
 * is what the database returns: on PostgreSQL unquoted aliases fold to lower case (write `AS "kekId"`), booleans are
 * true/false (not 1/0), counts are numbers (the pool's int8 parser) and bytea is a Buffer.
 */
interface HasBackend {
  ctx: Pick<AppContext, 'backend'>;
}

export function rowsOf<R = Record<string, unknown>>(v: HasBackend, sql: RawText, ...params: unknown[]): Promise<R[]> {
  return rawStatement<R>(v.ctx.backend, sql).all(...params);
}

export function rowOf<R = Record<string, unknown>>(
  v: HasBackend,
  sql: RawText,
  ...params: unknown[]
): Promise<R | undefined> {
  return rawStatement<R>(v.ctx.backend, sql).get(...params);
}

/** Runs a write; resolves with the number of rows it changed. */
export function runSql(v: HasBackend, sql: RawText, ...params: unknown[]): Promise<number> {
  return rawStatement(v.ctx.backend, sql).run(...params);
}

/** `select count(*) AS n …` as a number on both back ends. */
export async function countOf(v: HasBackend, sql: RawText, ...params: unknown[]): Promise<number> {
  const row = await rowOf<{ n: number | string }>(v, sql, ...params);
  return Number(row?.n ?? 0);
}

/** Every audit event, in the order of the trail (ARCHITECTURE.md, "The audit trail"). */
export function auditRows(v: HasBackend) {
  const { auditEvents } = v.ctx.backend.t;
  return v.ctx.backend.q().select().from(auditEvents).orderBy(auditEvents.seq);
}

/**
 * Whether the caller runs inside a unit of work right now: SQLite's connection is in a transaction, or on PostgreSQL
 * the statements go to a unit's connection rather than to the pool (server/db/pg/unit.ts).
 */
export function inUnit(v: HasBackend): boolean {
  const client = (v.ctx.backend.q() as unknown as { $client: { inTransaction?: boolean; totalCount?: number } })
    .$client;
  return v.ctx.backend.dialect === 'sqlite' ? client.inTransaction === true : !('totalCount' in client);
}

/**
 * Everything the vault's database holds, as one text to search for plaintext (SECURITY.md "Data at rest"): SQLite's
 * file and WAL (checkpointed) as latin1; on PostgreSQL every column of every table, bytea decoded byte for byte
 * (`encode(…, 'escape')`: a value stored in clear inside a blob still reads as itself).
 */
export async function storedText(v: HasBackend & { ctx: { db?: { $client: SqliteClient } } }): Promise<string> {
  const sqlite = v.ctx.db?.$client;
  if (sqlite) {
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return Buffer.from(sqlite.serialize()).toString('latin1');
  }
  const columns = await rowsOf<{ table: string; column: string; type: string }>(
    v,
    `SELECT table_name AS "table", column_name AS "column", data_type AS "type" FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const c of columns) {
    const expr = c.type === 'bytea' ? `encode("${c.column}", 'escape')` : `"${c.column}"::text`;
    tables.set(c.table, [...(tables.get(c.table) ?? []), expr]);
  }
  let text = '';
  for (const [table, exprs] of tables)
    for (const r of await rowsOf<{ r: string | null }>(
      v,
      `SELECT concat_ws(' ', ${exprs.join(', ')}) AS r FROM "${table}"`,
    ))
      text += `${r.r ?? ''}\n`;
  return text;
}

interface SqliteClient {
  pragma(source: string): unknown;
  serialize(): Buffer;
}
