import { join } from 'node:path';
import type { Config } from './config.ts';
import { makeDirectoryDurably } from './crypto/durable-file.ts';
import { checkKeyringCoversData, prepareKeyFiles } from './crypto/key-files.ts';
import { KEYRING_FILE, Keyring } from './crypto/keyring.ts';
import { databasePath, migrateDatabase, openDatabase, type Db } from './db/connection.ts';

export interface DataDir {
  db: Db;
  keyring: Keyring;
  /** True when this call made the data dir's keys (a vault that held nothing). */
  created: boolean;
}

/**
 * Opens the data dir the one way the server, the CLI and the tests do: the directory, then the key
 * files (made only when the dir holds nothing, and durable before the database file exists), then the
 * database and its migrations, then the check that the keyring opens the data keys already stored.
 */
export function openDataDir(config: Config, opts: { migrate?: boolean } = {}): DataDir {
  makeDirectoryDurably(config.dataDir);
  const file = databasePath(config.dataDir);
  const created = prepareKeyFiles(config.dataDir, file, config.masterKey) === 'created';
  const keyring = new Keyring(config.dataDir, config.masterKey);
  const db = openDatabase(file, { synchronous: config.synchronous });
  try {
    if (opts.migrate !== false) migrateDatabase(db);
    const hasCustomers = db.$client
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'customers'")
      .get();
    if (hasCustomers) checkKeyringCoversData(db, keyring, join(config.dataDir, KEYRING_FILE));
  } catch (e) {
    db.$client.close();
    throw e;
  }
  return { db, keyring, created };
}
