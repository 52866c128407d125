import { getTableColumns, getTableName, type Column, type Table } from 'drizzle-orm';
import type { Backend } from './backend.ts';
import { rawStatement, type ReadAheadPart } from './raw.ts';

/**
 * A hot-path lookup by key columns as one raw prepared statement (server/db/raw.ts, either dialect), returning rows in
 * drizzle's shape (camelCase keys, booleans as booleans). On the company read path drizzle's row
 * mapping cost more than SQLite itself (ARCHITECTURE.md, "Speed"); the SQL is generated from the same table
 * definitions, so it cannot drift from the schema.
 */
/** The lookup, and its row fetched ahead with a unit's other reads (server/db/read-ahead.ts). */
export type FastLookup<T extends Table> = ((...values: unknown[]) => Promise<T['$inferSelect'] | undefined>) & {
  ahead(...values: unknown[]): ReadAheadPart | undefined;
};

export function fastLookup<T extends Table>(b: Backend, table: T, keys: Column[]): FastLookup<T> {
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  const select = columns.map(([key, c]) => `"${c.name}" AS "${key}"`).join(', ');
  const where = keys.map((k) => `"${k.name}" = ?`).join(' AND ');
  const stmt = rawStatement<T['$inferSelect']>(b, `SELECT ${select} FROM "${getTableName(table)}" WHERE ${where}`);
  // PostgreSQL returns booleans as booleans; SQLite as 0/1.
  const booleans = columns.filter(([, c]) => c.columnType === 'SQLiteBoolean').map(([key]) => key);
  // bytea columns come back from a read-ahead as hex text, which it decodes into Buffers for these keys.
  const bytes = columns.filter(([, c]) => c.getSQLType() === 'bytea').map(([key]) => key);
  const ahead = (...values: unknown[]) => stmt.ahead(values, bytes);
  if (booleans.length === 0) return Object.assign((...values: unknown[]) => stmt.get(...values), { ahead });
  const lookup = async (...values: unknown[]) => {
    const row = (await stmt.get(...values)) as Record<string, unknown> | undefined;
    if (row) for (const b of booleans) row[b] = row[b] === 1 || row[b] === true;
    return row as T['$inferSelect'] | undefined;
  };
  return Object.assign(lookup, { ahead });
}
