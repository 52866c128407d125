import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { systemClock, type AppContext } from './context.ts';
import { startKeyReload } from './crypto/key-reload.ts';
import { SigningKeys } from './crypto/signing-keys.ts';
import { openStorage } from './storage.ts';
import { createLogger } from './http/logger.ts';
import { createVaultServer } from './http/server.ts';
import { loadPolicySet } from './policy/load.ts';

/** Start-up: config -> data dir -> db -> keys -> policies -> app -> listen; graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`vault: ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  // Everything the vault writes (database, WAL, key files) is private to its user.
  process.umask(0o077);
  const logger = createLogger(config.logLevel);
  // Key files first and durable (made only in an empty data dir), then the database (SECURITY.md "Keys"):
  // the SQLite file in VAULT_DATA_DIR, or PostgreSQL at VAULT_DATABASE_URL (migrated on start).
  const storage = await openStorage(config);
  const signing = await SigningKeys.open(config.dataDir);
  const policies = loadPolicySet(config.policiesDir);
  const ctx: AppContext = {
    config,
    ...(storage.db ? { db: storage.db } : {}),
    backend: storage.backend,
    storage,
    keyring: storage.keyring,
    signing,
    policies,
    clock: systemClock,
    logger,
  };
  const vault = createApp(ctx);
  await vault.ready;
  // Rotations made by `vault keys` (on this host or, through shared key files, another) without a restart.
  const stopKeyReload = startKeyReload(ctx);

  const server = createVaultServer(config.server, () => config.publicUrl);
  server.on('request', vault.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const database = storage.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite';
  logger.info({ url, dataDir: config.dataDir, database, policyVersion: policies.version }, 'vault listening');
  process.stdout.write(
    `\nConsent vault is running.\n  Dashboard:  ${url}/\n  API docs:   ${url}/docs\n  Data dir:   ${config.dataDir}\n  Database:   ${database}\n\n`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: refusing new connections, finishing in-flight requests');
    vault.setReady(false);
    stopKeyReload();
    const force = setTimeout(() => server.closeAllConnections(), 8_000);
    force.unref();
    // Only once the server is closed: in-flight company reads may still be waiting for their batch's fsync.
    server.close(() => {
      const done = () => {
        const exit = () => {
          logger.info('stopped');
          logger.flush(() => process.exit(0));
        };
        storage.close().then(exit, exit);
      };
      vault.stop().then(done, (err: unknown) => {
        logger.error({ err }, 'stop failed');
        done();
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`vault: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
