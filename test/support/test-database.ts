import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * Which back end the suite runs on: SQLite (npm test) or PostgreSQL (VAULT_TEST_DATABASE=postgres, as .ci/run's
 * second pass). On PostgreSQL, test/support/postgres-setup.ts starts one throwaway cluster for the whole run and
 * migrates a template database; each vault gets its own copy of it (CREATE DATABASE … TEMPLATE, a file copy).
 */
export const ON_POSTGRES = process.env.VAULT_TEST_DATABASE === 'postgres';

/** The file in a test vault's data dir that names its PostgreSQL database (a restart finds the same one). */
const DATABASE_FILE = 'test-database-url';

async function onAdmin<T>(templateUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const admin = new URL(templateUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The database URL for the vault in `dataDir` on PostgreSQL (made on first use), or undefined on SQLite. */
export async function testDatabaseUrl(dataDir: string): Promise<string | undefined> {
  if (!ON_POSTGRES) return undefined;
  const file = join(dataDir, DATABASE_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const template = inject('postgresTemplateUrl');
  if (!template) throw new Error('VAULT_TEST_DATABASE=postgres needs vitest.postgres.config.ts (its global setup)');
  const name = `vault_${randomBytes(8).toString('hex')}`;
  const templateName = new URL(template).pathname.slice(1);
  await onAdmin(template, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`));
  const url = new URL(template);
  url.pathname = `/${name}`;
  writeFileSync(file, url.toString());
  return url.toString();
}

/** Drops a test vault's database once the vault has closed its pool. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^vault_[0-9a-f]{16}$/.test(name)) throw new Error(`not a test database: ${name}`);
  await onAdmin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplateUrl?: string;
  }
}
