import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as sqlite from '../schema.ts';
import * as postgres from './schema.ts';

/**
 * The drift test: the PostgreSQL schema mirrors the SQLite one (ARCHITECTURE.md, "How to add a storage back
 * end"). Every table, column, key and index is compared by name; types are compared after mapping each
 * dialect's type onto what the stores see.
 */
type Shape = {
  columns: Record<string, string>;
  primaryKeys: string[][];
  indexes: Record<string, string>;
};

// What a store reads or writes, whichever dialect stores it.
const SAME_VALUE: Record<string, string> = {
  SQLiteText: 'text',
  PgText: 'text',
  SQLiteBlobBuffer: 'bytes',
  'PgCustomColumn:bytea': 'bytes',
  SQLiteInteger: 'integer',
  PgInteger: 'integer',
  PgBigInt53: 'integer',
  SQLiteBoolean: 'boolean',
  PgBoolean: 'boolean',
};

type AnyColumn = {
  name: string;
  columnType: string;
  notNull: boolean;
  default: unknown;
  primary: boolean;
  isUnique: boolean;
  enumValues?: string[];
  getSQLType(): string;
};
type AnyConfig = {
  name: string;
  columns: AnyColumn[];
  primaryKeys: { columns: { name: string }[] }[];
  indexes: { config: { name: string; unique: boolean; columns: unknown[] } }[];
};

function describeColumn(c: AnyColumn): string {
  const type = SAME_VALUE[c.columnType] ?? SAME_VALUE[`${c.columnType}:${c.getSQLType()}`] ?? `?${c.columnType}`;
  const flags = [c.notNull && 'not null', c.primary && 'primary key', c.isUnique && 'unique'].filter(Boolean);
  const def = c.default === undefined ? '' : ` default ${JSON.stringify(c.default)}`;
  const values = c.enumValues?.length ? ` in (${c.enumValues.join(', ')})` : '';
  return `${type} ${flags.join(' ')}${def}${values}`.trim();
}

function shapeOf(config: AnyConfig): Shape {
  return {
    columns: Object.fromEntries(config.columns.map((c) => [c.name, describeColumn(c)])),
    primaryKeys: config.primaryKeys.map((k) => k.columns.map((c) => c.name)),
    indexes: Object.fromEntries(
      config.indexes.map((i) => [
        i.config.name,
        `${i.config.unique ? 'unique ' : ''}(${i.config.columns.map((c) => (c as { name: string }).name).join(', ')})`,
      ]),
    ),
  };
}

const sqliteTables = Object.fromEntries(
  Object.values(sqlite)
    .filter((t) => t instanceof SQLiteTable)
    .map((t) => {
      const config = sqliteTableConfig(t) as unknown as AnyConfig;
      return [config.name, shapeOf(config)];
    }),
);
const postgresTables = Object.fromEntries(
  Object.values(postgres)
    .filter((t) => t instanceof PgTable)
    .map((t) => {
      const config = pgTableConfig(t) as unknown as AnyConfig;
      return [config.name, shapeOf(config)];
    }),
);

describe('the PostgreSQL schema mirrors the SQLite schema', () => {
  it('when a table exists in one dialect, then it exists in the other', () => {
    expect(Object.keys(postgresTables).sort()).toEqual(Object.keys(sqliteTables).sort());
    expect(Object.keys(sqliteTables).length).toBeGreaterThan(20);
  });

  it.each(Object.keys(sqliteTables))('%s: the same columns, types, keys and indexes', (table) => {
    expect(postgresTables[table]).toEqual(sqliteTables[table]);
  });

  it('when a column maps to no known type, then the mapping is extended on purpose', () => {
    const unknown = [...Object.values(sqliteTables), ...Object.values(postgresTables)].flatMap((s) =>
      Object.values(s.columns).filter((c) => c.startsWith('?')),
    );
    expect(unknown).toEqual([]);
  });
});
