import { ON_POSTGRES } from './test-database.ts';
import { startPostgres } from './postgres.ts';

/**
 * The one database that every vault server of a multi-server test shares, chosen here and nowhere else, so that
 * such a test runs unchanged on each back end (ARCHITECTURE.md, "State shared between servers").
 *
 * SQLite (npm test): every server opens the same data dir, and so the same `vault.db` (a test set-up; in production
 * SQLite serves one server per file). PostgreSQL (VAULT_TEST_DATABASE=postgres): a throwaway cluster of this test's
 * own with one database, `VAULT_DATABASE_URL` beside `VAULT_DATA_DIR`, which then holds only the shared key files
 * (`kek.json`, the signing keys) that every server and the CLI read. Servers, set-up and CLI all take the back end
 * from this env.
 */
export interface SharedDatabase {
  /** The settings every server and CLI command on this database gets. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function sharedDatabase(dataDir: string): Promise<SharedDatabase> {
  if (!ON_POSTGRES) return { env: { VAULT_DATA_DIR: dataDir }, stop: async () => {} };
  const cluster = await startPostgres();
  const url = await cluster.createDatabase('vault');
  return { env: { VAULT_DATA_DIR: dataDir, VAULT_DATABASE_URL: url }, stop: async () => cluster.stop() };
}
