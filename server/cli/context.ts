import { existsSync } from 'node:fs';
import { loadConfig, type Config } from '../config.ts';
import type { Keyring } from '../crypto/keyring.ts';
import type { Backend } from '../db/backend.ts';
import { databasePath, type Db } from '../db/connection.ts';
import { openStorage, type Storage } from '../storage.ts';

/** What an operator command needs: the same config, database and keys the server uses, on either back end. */
export interface CliContext {
  config: Config;
  storage: Storage;
  backend: Backend;
  keyring: Keyring;
  close(): Promise<void>;
}

/**
 * The CLI appends to its own audit chain on PostgreSQL (`cli`): two commands run at once still link one after the
 * other, because an append holds its chain's lock until its transaction ends (server/audit/chain/append.ts).
 */
export const CLI_CHAIN = 'cli';

export async function openCliContext(opts: { migrate?: boolean } = {}): Promise<CliContext> {
  process.umask(0o077);
  const config = loadConfig();
  // A mistyped VAULT_DATA_DIR would otherwise look like an empty vault: say that a new one was made.
  if (!config.databaseUrl && !existsSync(databasePath(config.dataDir)))
    process.stderr.write(
      `vault: no vault in ${config.dataDir}; creating a new one there (check VAULT_DATA_DIR if you meant an existing vault)\n`,
    );
  const storage = await openStorage(config, { ...opts, chain: CLI_CHAIN });
  return { config, storage, backend: storage.backend, keyring: storage.keyring, close: () => storage.close() };
}

/** The SQLite file behind a command that works on the file itself; on PostgreSQL the command says what to use. */
export function sqliteFileOf(ctx: CliContext, instead: string): Db {
  if (!ctx.storage.db)
    throw cliError(`this command works on the SQLite file only; on PostgreSQL ${instead}`, EXIT.usage);
  return ctx.storage.db;
}

/** Exit codes (documented in README "Operator CLI"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, verifyFailed: 3, config: 78 } as const;

/** An error that ends the command with this exit code; `quiet` when the command has already said why. */
export function cliError(message: string, exitCode: number, quiet = false): Error {
  return Object.assign(new Error(message), { exitCode, quiet });
}
