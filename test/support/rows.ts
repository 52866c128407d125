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
