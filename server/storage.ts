import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type pg from 'pg';
import { DEFAULT_CHAIN } from './audit/chain/chains.ts';
import type { Config } from './config.ts';
import { makeDirectoryDurably } from './crypto/durable-file.ts';
import { checkKeyringCoversData, kekSample, prepareKeyFiles } from './crypto/key-files.ts';
import { KEYRING_FILE, Keyring } from './crypto/keyring.ts';
import { openDataDir } from './data-dir.ts';
import { postgresBackend, sqliteBackend } from './db/backend.ts';
import type { Db } from './db/connection.ts';
import { rawStatement } from './db/raw.ts';
import { createGroupCommit, type GroupCommit } from './db/group-commit.ts';
import { createPgGroupCommit } from './db/pg/group-commit.ts';
import { migratePostgres } from './db/pg/migrate.ts';
import { createPgPool } from './db/pg/pool.ts';
import { createPgUnits } from './db/pg/unit.ts';
import { createSqliteSharedState, type SharedState } from './db/shared/index.ts';
import { createPgLeases, createPgRateCounters, createPgReplayStore } from './db/shared/postgres.ts';
import type { Storage } from './db/storage.ts';

export type { Storage } from './db/storage.ts';

/**
 * Opens the storage a vault server runs on (the `Storage` of server/db/storage.ts), the one place that chooses the
 * back end: README "Storage". Beside data-dir.ts, above the modules: it wires the database with the key files and
 * names the audit chain.
 */
export function sqliteStorage(config: Config, db: Db, keyring: Keyring, created = false): Storage {
  const shared = createSqliteSharedState(db);
  let commit: GroupCommit | undefined;
  return {
    dialect: 'sqlite',
    backend: sqliteBackend(db),
    keyring,
    db,
    created,
    shared,
    chain: DEFAULT_CHAIN,
    groupCommit: () => (commit ??= createGroupCommit(db, `${db.$client.name}-wal`, config.synchronous)),
    async ping() {
      try {
        return db.$client.prepare('select 1 as ok').get() !== undefined;
      } catch {
        return false;
      }
    },
    async close() {
      db.$client.close();
    },
  };
}

/**
 * PostgreSQL: migrations (one server at a time, under an advisory lock), the pool, and the key check against the
 * data keys already stored. Key files are made only when VAULT_DATA_DIR holds none AND the database holds no data
 * key: a second server started with an empty data dir stops, naming the file to copy, instead of making keys that
 * would not open the first server's data.
 */
export async function postgresStorage(config: Config, url: string, chain?: string): Promise<Storage> {
  makeDirectoryDurably(config.dataDir);
  await migratePostgres(url);
  const pool = createPgPool(url);
  try {
    const units = createPgUnits(pool.pool, pool.db);
    const backend = postgresBackend(units);
    const holdsVaultData = rawStatement<{ held: boolean }>(
      backend,
      'SELECT EXISTS (SELECT 1 FROM audit_events) OR EXISTS (SELECT 1 FROM companies) AS held',
    );
    const sample = await kekSample(backend);
    // Not only data keys: a database with companies or an audit trail but no customer yet already depends on the
    // signing keys (tokens, checkpoints) of the server that made them.
    const held = sample.length > 0 || (await holdsVaultData.get())?.held === true;
    const created =
      prepareKeyFiles(
        config.dataDir,
        { what: 'the PostgreSQL database holds a vault (data keys, companies or audit events)', exists: held },
        config.masterKey,
      ) === 'created';
    const keyring = new Keyring(config.dataDir, config.masterKey);
    checkKeyringCoversData(sample, keyring, join(config.dataDir, KEYRING_FILE));
    const instanceId = randomUUID();
    const shared: SharedState = {
      instanceId,
      leases: createPgLeases(pool.pool),
      // On the open unit's connection inside one (a client assertion checked in a group commit's batch).
      replay: createPgReplayStore(pool.pool, () => (units.current() as unknown as { $client: pg.ClientBase }).$client),
      rateCounters: createPgRateCounters(pool.pool),
    };
    let commit: GroupCommit | undefined;
    const ownChain = chain ?? instanceId;
    return {
      dialect: 'postgres',
      backend,
      keyring,
      postgres: { pool, units },
      created,
      shared,
      // Each server its own chain (README "Storage"): the instance id is a lowercase UUID, a valid chain id.
      chain: ownChain,
      groupCommit: () => (commit ??= createPgGroupCommit(pool.pool, units, { chain: ownChain })),
      async ping() {
        try {
          await pool.pool.query('SELECT 1');
          return true;
        } catch {
          return false;
        }
      },
      close: () => pool.close(),
    };
  } catch (e) {
    await pool.close();
    throw e;
  }
}

/**
 * The server's, the CLI's and the tests' one way in: PostgreSQL when the config names it, else SQLite. `chain` names
 * the audit chain on PostgreSQL (the CLI's own); a server's is its instance id.
 */
export async function openStorage(config: Config, opts: { migrate?: boolean; chain?: string } = {}): Promise<Storage> {
  if (config.databaseUrl) return postgresStorage(config, config.databaseUrl, opts.chain);
  const { db, keyring, created } = openDataDir(config, opts);
  return sqliteStorage(config, db, keyring, created);
}
