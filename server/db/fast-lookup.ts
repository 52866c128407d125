import { getTableColumns, getTableName, type Column } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from './connection.ts';

/**
 * A hot-path lookup by key columns as one raw better-sqlite3 prepared statement, returning rows in
 * drizzle's shape (camelCase keys, booleans as booleans). On the company read path drizzle's row
 * mapping cost more than SQLite itself (ARCHITECTURE.md, "Speed"); the SQL is generated from the same table
 * definitions, so it cannot drift from the schema.
 */
export function fastLookup<T extends SQLiteTable>(
  db: Db,
  table: T,
  keys: Column[],
): (...values: unknown[]) => Promise<T['$inferSelect'] | undefined> {
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  const select = columns.map(([key, c]) => `"${c.name}" AS "${key}"`).join(', ');
  const where = keys.map((k) => `"${k.name}" = ?`).join(' AND ');
  const stmt = db.$client.prepare(`SELECT ${select} FROM "${getTableName(table)}" WHERE ${where}`);
  const booleans = columns.filter(([, c]) => c.columnType === 'SQLiteBoolean').map(([key]) => key);
  if (booleans.length === 0) return async (...values) => stmt.get(...values) as T['$inferSelect'] | undefined;
  return async (...values) => {
    const row = stmt.get(...values) as Record<string, unknown> | undefined;
    if (row) for (const b of booleans) row[b] = row[b] === 1 || row[b] === true;
    return row as T['$inferSelect'] | undefined;
  };
}
