/**
 * The one database that every vault server of a multi-server test shares, chosen here and nowhere else, so that
 * such a test runs unchanged on each back end (ARCHITECTURE.md, "State shared between servers").
 *
 * Today the back end is SQLite: every server opens the same data dir, and so the same `vault.db` (a test set-up;
 * in production SQLite serves one server per file). The data dir also holds the key files (`kek.json`, the
 * signing keys), which every server and the CLI read.
 *
 * The PostgreSQL branch, once its stores exist (ARCHITECTURE.md, "How to add a storage back end", step 5): when
 * the suite runs on PostgreSQL, start a cluster with `startPostgres()` from ./postgres.ts, make a database with
 * `createDatabase('vault')`, and return `VAULT_DATABASE_URL` beside `VAULT_DATA_DIR` (which then holds only the
 * shared key files); `stop()` stops the cluster. Servers, set-up and CLI all take the back end from this env.
 */
export interface SharedDatabase {
  /** The settings every server and CLI command on this database gets. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function sharedDatabase(dataDir: string): Promise<SharedDatabase> {
  return { env: { VAULT_DATA_DIR: dataDir }, stop: async () => {} };
}
