import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresBackend, sqliteBackend, type Backend } from '../../server/db/backend.ts';
import { migrateDatabase, openDatabase, type Db } from '../../server/db/connection.ts';
import { migratePostgres } from '../../server/db/pg/migrate.ts';
import { createPgPool, type PgStorePool } from '../../server/db/pg/pool.ts';
import { createPgUnits } from '../../server/db/pg/unit.ts';
import { startPostgres, type PostgresCluster } from './postgres.ts';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

/**
 * Both back ends, migrated and empty, for one test file's storage contract (ARCHITECTURE.md, "How to add a storage
 * back end"): one store, one set of tests, run with `describe.each(DIALECTS)` as Ory Hydra runs one manager suite
 * against every store. Call `open()` in beforeAll (it starts a throwaway PostgreSQL cluster) and `close()` in
 * afterAll.
 */
export class Backends {
  private dir = mkdtempSync(join(tmpdir(), 'vault-backends-'));
  private cluster?: PostgresCluster;
  private pg?: PgStorePool;
  private opened: Partial<Record<Dialect, Backend>> = {};
  /** The SQLite database under the sqlite back end, for the few checks that look at raw rows. */
  sqliteDb?: Db;

  async open(): Promise<void> {
    this.sqliteDb = openDatabase(join(this.dir, 'vault.db'));
    migrateDatabase(this.sqliteDb);
    this.opened.sqlite = sqliteBackend(this.sqliteDb);
    this.cluster = await startPostgres();
    const url = await this.cluster.createDatabase('contract');
    await migratePostgres(url);
    this.pg = createPgPool(url);
    this.opened.postgres = postgresBackend(createPgUnits(this.pg.pool, this.pg.db));
  }

  get(dialect: Dialect): Backend {
    const b = this.opened[dialect];
    if (!b) throw new Error(`open() the back ends before using ${dialect}`);
    return b;
  }

  async close(): Promise<void> {
    await this.pg?.close();
    this.cluster?.stop();
    this.sqliteDb?.$client.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
