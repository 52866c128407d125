import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../server/db/connection.ts';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'server', 'db', 'migrations');

describe('the 0010_grant_status_changed_at migration', () => {
  it('when a database holds an ended and a live grant, then both stay, the ended one takes its last update as its status time, the live one none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-status-time-'));
    try {
      // The migrations as they were before 0010, applied to a database that then gets two grants.
      const before = join(dir, 'migrations');
      cpSync(MIGRATIONS, before, { recursive: true });
      const journal = JSON.parse(readFileSync(join(before, 'meta', '_journal.json'), 'utf8'));
      journal.entries = journal.entries.filter((e: { tag: string }) => e.tag < '0010');
      writeFileSync(join(before, 'meta', '_journal.json'), JSON.stringify(journal));
      const db = openDatabase(join(dir, 'vault.db'));
      migrate(db, { migrationsFolder: before });
      const insert = db.$client.prepare(
        `INSERT INTO grants (id, customer_id, company_id, purpose, fields, actions, terms_version, policy_version,
           status, created_at, expires_at, updated_at)
         VALUES (?, 'c', 'k', 'billing', '["email"]', '["read"]', 1, 'p', ?, '2026-01-01T00:00:00.000Z',
           '2026-12-01T00:00:00.000Z', ?)`,
      );
      insert.run('revoked-1', 'revoked', '2026-03-04T05:06:07.000Z');
      insert.run('active-1', 'active', '2026-02-01T00:00:00.000Z');

      migrateDatabase(db);
      const rows = db.$client.prepare('SELECT id, status, status_changed_at AS at FROM grants ORDER BY id').all() as {
        id: string;
        status: string;
        at: string | null;
      }[];
      expect(rows).toEqual([
        { id: 'active-1', status: 'active', at: null },
        { id: 'revoked-1', status: 'revoked', at: '2026-03-04T05:06:07.000Z' },
      ]);
      db.$client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
