import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.ts';
import { inOuterTransaction, inSavepoint, insideUnit, throughGate } from './unit.ts';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenOptions {
  /** FULL makes each commit durable across power loss; an audited read is never acknowledged before it. */
  synchronous?: 'GROUP' | 'FULL' | 'NORMAL';
  readonly?: boolean;
}

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export const DB_FILE_NAME = 'vault.db';
/** SECURITY.md "Bounds": the write-ahead log's file size after a restart (group-commit.ts keeps it short). */
export const WAL_SIZE_LIMIT = 32 * 1024 * 1024;

export function databasePath(dataDir: string): string {
  return join(dataDir, DB_FILE_NAME);
}

/** Opens (creating if needed) the SQLite file in WAL mode and returns the drizzle handle. */
export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Database(file, { readonly: opts.readonly ?? false });
  if (!opts.readonly) {
    sqlite.pragma('journal_mode = WAL');
    // A log that grew past 32 MB (a long reader held a checkpoint back) is cut back to it when it restarts.
    sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  }
  // GROUP runs with FULL and lowers it only around audited reads (see group-commit.ts).
  sqlite.pragma(`synchronous = ${opts.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Deleted rows are overwritten with zeros, so shredded ciphertext does not linger in free pages.
  sqlite.pragma('secure_delete = ON');
  return drizzle(sqlite, { schema }) as Db;
}

/** Applies the migrations kept in the repo; idempotent. */
export function migrateDatabase(db: Db): void {
  migrate(db, { migrationsFolder: MIGRATIONS });
}

/**
 * Runs fn in one SQLite transaction (ARCHITECTURE.md, "The audited unit and group commit"): BEGIN IMMEDIATE,
 * await fn, COMMIT, or a savepoint when called from inside an open transaction (a nested unit). fn may await
 * store calls only: a unit that yields to the event loop is rolled back and refused (see unit.ts).
 */
export function inTransaction<T>(db: Db, fn: () => T | Promise<T>): Promise<T> {
  const sqlite = db.$client;
  return insideUnit(sqlite) ? inSavepoint(sqlite, fn) : throughGate(sqlite, () => inOuterTransaction(sqlite, fn));
}

/** Online backup through SQLite's backup API: consistent while the server keeps writing. */
export async function backupDatabase(
  db: Db,
  target: string,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  await db.$client.backup(target, {
    progress: ({ totalPages, remainingPages }) => {
      onProgress?.(totalPages - remainingPages, totalPages);
      return 200;
    },
  });
}
