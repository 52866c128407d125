import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath, migrateDatabase, openDatabase } from '../../server/db/connection.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * CSRF tokens are secrets like the session token: the database keeps only their SHA-256, and the check
 * compares hashes. The token still works on writes and comes back from GET /api/session after a reload.
 */
let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(() => v?.close());

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The database file and its WAL, as someone holding a copy of the data dir would read them. */
const onDisk = () =>
  Buffer.concat([readFileSync(databasePath(v.dataDir)), readFileSync(`${databasePath(v.dataDir)}-wal`)]);

describe('CSRF tokens at rest', () => {
  it('when a customer signs up and signs in, then no CSRF token is stored in clear, only its SHA-256', async () => {
    const email = uniqueEmail('csrf');
    const first = await new Customer(v.url).signUp(email);
    const second = new Customer(v.url);
    expect((await second.signIn(email)).status).toBe(200);

    const rows = v.ctx.db.$client.prepare('SELECT * FROM sessions').all() as Record<string, unknown>[];
    const stored = JSON.stringify(rows);
    const disk = onDisk();
    for (const token of [first.csrf, second.csrf]) {
      expect(token.length).toBeGreaterThanOrEqual(43);
      expect(stored).not.toContain(token);
      expect(disk.includes(Buffer.from(token))).toBe(false);
      expect(stored).toContain(sha256(token));
    }
  });

  it('when a write carries the right token, a wrong one or none, then only the right one passes', async () => {
    const alice = await new Customer(v.url).signUp(uniqueEmail('csrf'));
    const patch = (token?: string) =>
      alice.call(
        'PATCH',
        '/api/profile',
        { phone: '+32 470 00 00 00' },
        token === undefined ? {} : { 'x-csrf-token': token },
      );
    const right = alice.csrf;
    alice.csrf = '';
    expect((await patch()).status).toBe(403);
    expect((await patch(right.slice(0, -1) + (right.endsWith('A') ? 'B' : 'A'))).status).toBe(403);
    expect((await patch('x'.repeat(5000))).status).toBe(403);
    expect((await patch(sha256(right))).status).toBe(403);
    expect((await patch(right)).status).toBe(200);
  });

  it('when the dashboard reloads, then GET /api/session gives back the same working token', async () => {
    const bob = await new Customer(v.url).signUp(uniqueEmail('csrf'));
    const again = await bob.call('GET', '/api/session');
    expect(again.body.csrfToken).toBe(bob.csrf);
    const other = await new Customer(v.url).signUp(uniqueEmail('csrf'));
    expect(other.csrf).not.toBe(bob.csrf);
    expect((await bob.call('PATCH', '/api/profile', { phone: '+32 470 00 00 01' })).status).toBe(200);
  });
});

describe('the 0007_csrf_hash migration', () => {
  it('when a database holds sessions with clear CSRF tokens, then the migration ends them and keeps the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-csrf-migration-'));
    try {
      // The migrations as they were before 0007, applied to a fresh database that then gets a session.
      const migrations = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'server', 'db', 'migrations');
      const before = join(dir, 'migrations');
      cpSync(migrations, before, { recursive: true });
      const journal = JSON.parse(readFileSync(join(before, 'meta', '_journal.json'), 'utf8'));
      journal.entries = journal.entries.filter((e: { tag: string }) => e.tag < '0007');
      writeFileSync(join(before, 'meta', '_journal.json'), JSON.stringify(journal));
      const db = openDatabase(join(dir, 'vault.db'));
      migrate(db, { migrationsFolder: before });
      db.$client
        .prepare(
          "INSERT INTO sessions (id_hash, subject_kind, subject_id, csrf_token, created_at, expires_at) VALUES ('h', 'customer', 'c', 'clear-token', 'x', 'y')",
        )
        .run();
      db.$client
        .prepare(
          "INSERT INTO initial_access_tokens (token_hash, label, created_at, expires_at) VALUES ('t', 'l', 'x', 'y')",
        )
        .run();

      migrateDatabase(db);
      expect(db.$client.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
      const columns = db.$client.prepare('PRAGMA table_info(sessions)').all() as { name: string }[];
      expect(columns.map((c) => c.name)).toContain('csrf_hash');
      expect(columns.map((c) => c.name)).not.toContain('csrf_token');
      expect(db.$client.prepare('SELECT count(*) AS n FROM initial_access_tokens').get()).toEqual({ n: 1 });
      db.$client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
