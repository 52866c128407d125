import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type VaultApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import type { AppContext, Clock } from '../../server/context.ts';
import { SigningKeys } from '../../server/crypto/signing-keys.ts';
import type { Db } from '../../server/db/connection.ts';
import { openStorage } from '../../server/storage.ts';
import { testDatabaseUrl, dropTestDatabase } from './test-database.ts';
import { createLogger } from '../../server/http/logger.ts';
import { createVaultServer } from '../../server/http/server.ts';
import type { Logger } from 'pino';
import { loadPolicySet } from '../../server/policy/load.ts';

/** A clock that tests move by hand, so expiry is tested without sleeping. */
export class TestClock implements Clock {
  constructor(private t = Date.now()) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface RunningVault {
  url: string;
  server: Server;
  /**
   * `ctx.db` is the SQLite database; it is undefined when the suite runs on PostgreSQL, where the files that read
   * it do not run (vitest.postgres.config.ts).
   */
  ctx: AppContext & { db: Db };
  vault: VaultApp;
  clock: TestClock;
  dataDir: string;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts the real app in-process over HTTP on a free loopback port with a fresh data dir, on the back end the suite
 * runs on: SQLite in the data dir, or (VAULT_TEST_DATABASE=postgres) a fresh database of the suite's PostgreSQL
 * cluster, remembered in the data dir so that a restart on the same data dir finds the same database.
 */
export async function startVault(
  opts: {
    env?: Record<string, string>;
    dataDir?: string;
    policiesDir?: string;
    logger?: Logger;
    /** Runs on the open database before the app is built (e.g. temp triggers that observe it). */
    beforeApp?: (db: Db) => void;
    /** The state shared between servers (AppContext.shared); the storage's own when absent. */
    shared?: (db: Db) => AppContext['shared'];
  } = {},
): Promise<RunningVault> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'vault-test-'));
  // The listening server's bounds come from the same settings as the rest (they do not depend on the port).
  const base = { VAULT_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...opts.env };
  let publicUrl = '';
  const server: Server = createVaultServer(loadConfig(base).server, () => publicUrl);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ ...base, PORT: String(port) });
  publicUrl = config.publicUrl;
  if (opts.policiesDir) config.policiesDir = opts.policiesDir;
  const clock = new TestClock();
  // A test that names its own database (a shared one, test/support/shared-database.ts) keeps it; else the pass's.
  const ownDatabase = config.databaseUrl ? undefined : await testDatabaseUrl(dataDir);
  if (ownDatabase) config.databaseUrl = ownDatabase;
  const storage = await openStorage(config);
  const db = storage.db;
  if (db) opts.beforeApp?.(db);
  else if (opts.beforeApp || opts.shared) throw new Error('beforeApp and shared work on SQLite only');
  const ctx = {
    config,
    db: db as Db,
    backend: storage.backend,
    storage,
    keyring: storage.keyring,
    signing: await SigningKeys.open(dataDir, { now: () => clock.now() }),
    policies: loadPolicySet(config.policiesDir),
    clock,
    logger: opts.logger ?? createLogger('silent'),
    ...(opts.shared && db ? { shared: opts.shared(db) } : {}),
  } satisfies AppContext;
  const vault = createApp(ctx);
  await vault.ready;
  server.on('request', vault.handler);
  return {
    url,
    server,
    ctx,
    vault,
    clock,
    dataDir,
    async close({ keepData = false } = {}) {
      await vault.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await storage.close();
      if (keepData) return;
      if (ownDatabase) await dropTestDatabase(ownDatabase);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
