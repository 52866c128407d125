import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Keyring } from './crypto/keyring.ts';
import type { SigningKeys } from './crypto/signing-keys.ts';
import type { Backend } from './db/backend.ts';
import type { Db } from './db/connection.ts';
import type { SharedState } from './db/shared/index.ts';
import type { PolicySet } from './policy/load.ts';

/** Injected so that expiry and budgets are tested without sleeping (ARCHITECTURE.md, "The modules and their arrows"). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The explicit dependencies every service is built from; main.ts alone builds the real ones. */
export interface AppContext {
  config: Config;
  /** The SQLite database (the only back end served so far; its stores move to `backend` one by one). */
  db: Db;
  /** What the stores run on, either dialect (ARCHITECTURE.md, "How to add a storage back end"). */
  backend: Backend;
  keyring: Keyring;
  signing: SigningKeys;
  policies: PolicySet;
  clock: Clock;
  logger: Logger;
  /** Leases, replay cache, rate-limit stores; SQLite's (createSqliteSharedState) when not given. */
  shared?: SharedState;
}
