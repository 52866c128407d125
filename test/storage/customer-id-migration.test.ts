import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../server/db/connection.ts';

// The SQLite migration that put the customer id on every customer-data table (README "Storage"), on a file of its
// own: it starts no vault, so it runs once, in the SQLite pass.
describe('migration 0019_customer_id_everywhere', () => {
  it('when a database holds tokens, codes, counters and sessions from before it, then each row gets its customer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-customer-id-'));
    try {
      // The migrations as they were up to 0018, applied to a fresh database that then gets rows.
      const before = join(dir, 'migrations');
      cpSync(join(import.meta.dirname, '..', '..', 'server', 'db', 'migrations'), before, { recursive: true });
      const journalPath = join(before, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
      journal.entries = journal.entries.filter((e: { tag: string }) => e.tag < '0019');
      writeFileSync(journalPath, JSON.stringify(journal));
      const db = openDatabase(join(dir, 'vault.db'));
      migrate(db, { migrationsFolder: before });
      const run = (sql: string) => db.$client.prepare(sql).run();
      run(
        `INSERT INTO grants (id, customer_id, company_id, purpose, fields, actions, terms_version, policy_version, status, created_at, expires_at, updated_at)
         VALUES ('g1', 'cust-1', 'co', 'p', '[]', '[]', 1, 'v', 'active', 't', 't', 't'),
                ('g2', 'cust-2', 'co', 'p', '[]', '[]', 1, 'v', 'active', 't', 't', 't')`,
      );
      run(`INSERT INTO token_families (id, grant_id, company_id, created_at) VALUES ('f1', 'g1', 'co', 't'),
           ('f2', 'g2', 'co', 't'), ('f-orphan', 'gone', 'co', 't')`);
      run(`INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES ('r1', 'f1', 't', 't'),
           ('r2', 'f2', 't', 't'), ('r-orphan', 'f-orphan', 't', 't')`);
      run(`INSERT INTO auth_codes (code_hash, request_id, grant_id, company_id, redirect_uri, code_challenge, family_id, expires_at)
           VALUES ('c1', 'q', 'g2', 'co', 'u', 'x', 'f2', 't')`);
      run(
        `INSERT INTO usage_counters (grant_id, action, hour, count) VALUES ('g1', 'read', 5, 3), ('g2', 'deposit', 5, 1)`,
      );
      run(`INSERT INTO sessions (id_hash, subject_kind, subject_id, csrf_hash, created_at, expires_at)
           VALUES ('s1', 'customer', 'cust-1', 'h', 't', 't'), ('s2', 'auditor', 'aud-1', 'h', 't', 't')`);

      migrateDatabase(db);
      const rows = (sql: string) => db.$client.prepare(sql).all();
      expect(rows('SELECT id, customer_id FROM token_families ORDER BY id')).toEqual([
        { id: 'f1', customer_id: 'cust-1' },
        { id: 'f2', customer_id: 'cust-2' },
      ]);
      expect(rows('SELECT token_hash, customer_id FROM refresh_tokens ORDER BY token_hash')).toEqual([
        { token_hash: 'r1', customer_id: 'cust-1' },
        { token_hash: 'r2', customer_id: 'cust-2' },
      ]);
      expect(rows('SELECT code_hash, customer_id FROM auth_codes')).toEqual([
        { code_hash: 'c1', customer_id: 'cust-2' },
      ]);
      expect(rows('SELECT customer_id, grant_id, action, hour, count FROM usage_counters ORDER BY grant_id')).toEqual([
        { customer_id: 'cust-1', grant_id: 'g1', action: 'read', hour: 5, count: 3 },
        { customer_id: 'cust-2', grant_id: 'g2', action: 'deposit', hour: 5, count: 1 },
      ]);
      expect(rows('SELECT id_hash, customer_id FROM sessions ORDER BY id_hash')).toEqual([
        { id_hash: 's1', customer_id: 'cust-1' },
        { id_hash: 's2', customer_id: null },
      ]);
      // The rebuilt tables keep their indexes.
      const indexes = rows("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").map(
        (r) => (r as { name: string }).name,
      );
      expect(indexes).toEqual(
        expect.arrayContaining([
          'token_families_grant',
          'token_families_revoked',
          'refresh_tokens_family',
          'refresh_tokens_expires',
          'refresh_tokens_used',
          'usage_counters_hour',
        ]),
      );
      db.$client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
