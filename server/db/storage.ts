import type { Keyring } from '../crypto/keyring.ts';
import type { Backend } from './backend.ts';
import type { Db } from './connection.ts';
import type { GroupCommit } from './group-commit.ts';
import type { PgStorePool } from './pg/pool.ts';
import type { PgUnits } from './pg/unit.ts';
import type { SharedState } from './shared/index.ts';

/**
 * The storage a vault server runs on, either back end (README "Storage"): what the stores run on (`backend`), the
 * group commit for audited units, the state shared between servers, and the audit chain this server appends to.
 * `VAULT_DATABASE_URL` selects PostgreSQL; without it, the SQLite file in `VAULT_DATA_DIR` (server/storage.ts opens
 * it). The key files live in `VAULT_DATA_DIR` either way (several servers on one PostgreSQL share one copy of them).
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
