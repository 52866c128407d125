import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sqliteSchema from '../../server/db/schema.ts';
import { migratePostgres } from '../../server/db/pg/migrate.ts';
import { startServer } from '../crash/load.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';

const root = join(import.meta.dirname, '..', '..');
// Data dirs of the spawned commands: they must stay empty (no SQLite fallback); removed after the file.
const scratch = mkdtempSync(join(tmpdir(), 'vault-pg-dd-'));
const emptyDataDir = () => mkdtempSync(join(scratch, 'data-'));

/** Runs one of the project's entry points (server/main.ts, server/cli/main.ts) as an operator would. */
function runEntry(entry: string, args: string[], env: Record<string, string>) {
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, entry), ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', VAULT_DATA_DIR: emptyDataDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    // A server that should have refused to start must not outlive the test.
    if (stdout.includes('Consent vault is running')) child.kill('SIGTERM');
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

const sqliteColumns = Object.values(sqliteSchema)
  .filter((t) => t instanceof SQLiteTable)
  .flatMap((t) => {
    const config = getTableConfig(t);
    return config.columns.map((c) => `${config.name}.${c.name}`);
  })
  .sort();

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => {
  cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('PostgreSQL migrations', () => {
  it('when migrate runs twice, then the second run finds nothing to do and changes nothing', async () => {
    const url = await cluster.createDatabase('twice');
    const first = await migratePostgres(url);
    const tables = await cluster.query('twice', "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'");
    expect(await migratePostgres(url)).toBe(first);
    expect(first).toBeGreaterThanOrEqual(2);
    expect(await cluster.query('twice', "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).toEqual(
      tables,
    );
  });

  it('when migrated, then every table and column of the SQLite schema exists in PostgreSQL, and no other', async () => {
    const url = await cluster.createDatabase('columns');
    await migratePostgres(url);
    const rows = await cluster.query<{ c: string }>(
      'columns',
      "SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'public'",
    );
    expect(rows.map((r) => r.c).sort()).toEqual(sqliteColumns);
  });

  it('when anyone updates, deletes or truncates an audit event, then PostgreSQL refuses and the event stays', async () => {
    const url = await cluster.createDatabase('append_only');
    await migratePostgres(url);
    await cluster.query(
      'append_only',
      `INSERT INTO audit_events (seq, time, action, actor_kind, actor_id, body, prev_hash, hash)
       VALUES (1, '2026-01-01T00:00:00.000Z', 'grant.created', 'system', 'vault', '{}', 'p', 'h')`,
    );
    for (const change of [
      "UPDATE audit_events SET hash = 'forged' WHERE seq = 1",
      'DELETE FROM audit_events WHERE seq = 1',
      'TRUNCATE audit_events',
    ])
      await expect(cluster.query('append_only', change), change).rejects.toThrow(/audit_events is append-only/);
    expect(await cluster.query('append_only', 'SELECT seq, hash FROM audit_events')).toEqual([{ seq: '1', hash: 'h' }]);
  });
});

describe("README's application role for PostgreSQL", () => {
  it('when the vault connects as that role, then it may append audit events but the grants alone refuse changing them', async () => {
    const url = await cluster.createDatabase('roles');
    await migratePostgres(url);
    // The statements of README "Storage", with trust authentication instead of a password.
    await cluster.query(
      'roles',
      `CREATE ROLE vault_app LOGIN;
       GRANT USAGE ON SCHEMA public TO vault_app;
       GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO vault_app;
       REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints FROM vault_app;`,
    );
    const asApp = new pg.Client({ connectionString: url.replace('postgres@', 'vault_app@') });
    await asApp.connect();
    try {
      await asApp.query(
        `INSERT INTO audit_events (seq, time, action, actor_kind, actor_id, body, prev_hash, hash)
         VALUES (1, '2026-01-01T00:00:00.000Z', 'grant.created', 'system', 'vault', '{}', 'p', 'h')`,
      );
      for (const change of [
        "UPDATE audit_events SET hash = 'forged'",
        'DELETE FROM audit_events',
        'TRUNCATE audit_events',
      ])
        await expect(asApp.query(change), change).rejects.toThrow(/permission denied for table audit_events/);
    } finally {
      await asApp.end();
    }
  });
});

describe('the operator commands with VAULT_DATABASE_URL', () => {
  it('when `vault migrate` runs with VAULT_DATABASE_URL, then it migrates that PostgreSQL database', async () => {
    const url = await cluster.createDatabase('cli');
    const first = await runEntry('server/cli/main.ts', ['migrate', '--json'], { VAULT_DATABASE_URL: url });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const { migrations } = JSON.parse(first.stdout) as { migrations: number };
    expect(migrations).toBeGreaterThanOrEqual(2);
    expect(await cluster.query('cli', 'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')).toEqual([
      { n: migrations },
    ]);
    const again = await runEntry('server/cli/main.ts', ['migrate'], { VAULT_DATABASE_URL: url });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`PostgreSQL database is up to date (${migrations} migrations applied)`);
  });

  it('when `vault backup` runs with VAULT_DATABASE_URL, then it refuses and points to pg_dump, making nothing', async () => {
    const dataDir = emptyDataDir();
    const r = await runEntry('server/cli/main.ts', ['backup', join(dataDir, 'backup.db')], {
      VAULT_DATABASE_URL: cluster.url(),
      VAULT_DATA_DIR: dataDir,
    });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/backup copies the SQLite file; with VAULT_DATABASE_URL back up PostgreSQL with pg_dump/);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('when the server starts with VAULT_DATABASE_URL, then it migrates and serves from PostgreSQL, not the SQLite file', async () => {
    const url = await cluster.createDatabase('served');
    const dataDir = emptyDataDir();
    const server = await startServer({ VAULT_DATABASE_URL: url, VAULT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    try {
      expect(server.output()).toContain('Database:   PostgreSQL');
      expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ status: 'ready', database: true });
      const customer = await new Customer(server.url).signUp(uniqueEmail('pg'));
      expect(
        await cluster.query('served', `SELECT count(*)::int AS n FROM customers WHERE id = '${customer.id}'`),
      ).toEqual([{ n: 1 }]);
      // The data dir holds the key files only: no SQLite database was made beside them.
      expect(readdirSync(dataDir).filter((f) => f.startsWith('vault.db'))).toEqual([]);
    } finally {
      await server.kill();
    }
  });

  it('when VAULT_DATABASE_URL is not a postgres:// URL, then start-up and migrate stop naming the variable', async () => {
    // The value carries a password: the message must not repeat it (server/config.test.ts has more cases).
    const env = { VAULT_DATABASE_URL: 'mysql://vault:secret@127.0.0.1/vault' };
    for (const entry of [['server/main.ts'], ['server/cli/main.ts', 'migrate']]) {
      const r = await runEntry(entry[0]!, entry.slice(1), env);
      expect(r.code, entry.join(' ')).toBe(78);
      expect(r.stderr).toMatch(/invalid configuration: VAULT_DATABASE_URL: the scheme must be postgres:\/\//);
      expect(r.stderr).not.toContain('secret');
    }
  });
});
