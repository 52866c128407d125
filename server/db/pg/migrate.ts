import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** How long a connection attempt may take before the command fails (SECURITY.md "Floods and bounds"). */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

// Any fixed number works: it only has to be the same for every vault that migrates this database.
const MIGRATION_LOCK = 0x7661756c; // "vaul"

/**
 * Applies the PostgreSQL migrations in server/db/pg/migrations to the database at `url`; idempotent.
 * Several servers may start at once: a session advisory lock lets one migrate while the others wait,
 * and then find nothing left to do. Returns how many migrations the database has applied in all.
 */
export async function migratePostgres(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}
