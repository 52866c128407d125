import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { makeDirectoryDurably } from '../crypto/durable-file.ts';
import { checkKeyringCoversData, kekSample, prepareKeyFiles } from '../crypto/key-files.ts';
import { KEYRING_FILE, Keyring } from '../crypto/keyring.ts';
import { openDataDir } from '../data-dir.ts';
import { postgresBackend, sqliteBackend, type Backend } from './backend.ts';
import { rawStatement } from './raw.ts';
import type { Db } from './connection.ts';
import { createGroupCommit, type GroupCommit } from './group-commit.ts';
import { createPgGroupCommit } from './pg/group-commit.ts';
import { migratePostgres } from './pg/migrate.ts';
import { createPgPool, type PgStorePool } from './pg/pool.ts';
import { createPgUnits, type PgUnits } from './pg/unit.ts';
import { createSqliteSharedState, type SharedState } from './shared/index.ts';
import { createPgLeases, createPgRateCounters, createPgReplayStore } from './shared/postgres.ts';
import { DEFAULT_CHAIN } from '../audit/chain/chains.ts';

/**
 * The storage a vault server runs on, either back end (README "Storage"): what the stores run on (`backend`), the
 * group commit for audited units, the state shared between servers, and the audit chain this server appends to.
 * `VAULT_DATABASE_URL` selects PostgreSQL; without it, the SQLite file in `VAULT_DATA_DIR`. The key files live in
 * `VAULT_DATA_DIR` either way (several servers on one PostgreSQL share one copy of them: README "Several servers").
 */
export interface Storage {
  dialect: Backend['dialect'];
  backend: Backend;
  keyring: Keyring;
  /** The SQLite database, for what only a file has (backup, WAL checkpoint, read-only export); absent on PostgreSQL. */
  db?: Db;
  /** PostgreSQL's pool and units; absent on SQLite. */
  postgres?: { pool: PgStorePool; units: PgUnits };
  /** True when this start made the key files (a vault that held nothing). */
  created: boolean;
  /** Leases, replay cache and rate counters, with this server's instance id. */
  shared: SharedState;
  /** The audit chain this server appends to: SQLite's one chain, or this server's own on PostgreSQL. */
  chain: string;
  /** The group commit of audited units (made once per server: it keeps one batch in flight). */
  groupCommit(): GroupCommit;
  /** Whether the database answers a trivial query now (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

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
