import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Keyring } from './crypto/keyring.ts';
import type { SigningKeys } from './crypto/signing-keys.ts';
import type { Backend } from './db/backend.ts';
import type { Db } from './db/connection.ts';
import type { SharedState } from './db/shared/index.ts';
import type { Storage } from './db/storage.ts';
import type { PolicySet } from './policy/load.ts';

/** Injected so that expiry and budgets are tested without sleeping (ARCHITECTURE.md, "The modules and their arrows"). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The explicit dependencies every service is built from; main.ts alone builds the real ones. */
export interface AppContext {
  config: Config;
  /** The SQLite database, for what only a file has (backup, WAL checkpoint, read-only export); absent on PostgreSQL. */
  db?: Db;
  /** What the stores run on, either dialect (ARCHITECTURE.md, "How to add a storage back end"): storage.backend. */
  backend: Backend;
  /** The back end this server runs on (server/db/storage.ts): its group commit, audit chain, readiness. */
  storage: Storage;
  keyring: Keyring;
  signing: SigningKeys;
  policies: PolicySet;
  clock: Clock;
  logger: Logger;
  /** Leases, replay cache, rate-limit stores; storage.shared when not given (a test's stand-in). */
  shared?: SharedState;
}
