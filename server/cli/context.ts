import { existsSync } from 'node:fs';
import { loadConfig, type Config } from '../config.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { openDataDir } from '../data-dir.ts';
import { databasePath, type Db } from '../db/connection.ts';
import { postgresNotServedYet } from '../db/pg/migrate.ts';

/** What an operator command needs: the same config, database and keys the server uses. */
export interface CliContext {
  config: Config;
  db: Db;
  keyring: Keyring;
  close(): void;
}

export function openCliContext(opts: { migrate?: boolean } = {}): CliContext {
  process.umask(0o077);
  const config = loadConfig();
  if (config.databaseUrl) throw postgresNotServedYet('this command');
  const file = databasePath(config.dataDir);
  // A mistyped VAULT_DATA_DIR would otherwise look like an empty vault: say that a new one was made.
  if (!existsSync(file))
    process.stderr.write(
      `vault: no vault in ${config.dataDir}; creating a new one there (check VAULT_DATA_DIR if you meant an existing vault)\n`,
    );
  const { db, keyring } = openDataDir(config, { migrate: opts.migrate });
  return { config, db, keyring, close: () => db.$client.close() };
}

/** Exit codes (documented in README "Operator CLI"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, verifyFailed: 3, config: 78 } as const;

/** An error that ends the command with this exit code; `quiet` when the command has already said why. */
export function cliError(message: string, exitCode: number, quiet = false): Error {
  return Object.assign(new Error(message), { exitCode, quiet });
}
