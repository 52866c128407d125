import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The PostgreSQL pass (.ci/run, after the SQLite one): every test file that starts a real vault runs again with
 * VAULT_TEST_DATABASE=postgres, each vault on its own database of one throwaway cluster (test/support/postgres-setup.ts).
 * Unit tests that never open a database run once, in the SQLite pass; the storage contract tests (test/storage)
 * run both back ends in either pass.
 *
 * A file that reaches into the SQLite file itself (`ctx.db`: raw rows, its WAL and fsync, its pragmas) runs in the
 * SQLite pass only: what it checks is the file, or it still reads rows the SQLite way (README "Storage" lists what
 * is left to move to dialect-neutral checks). A file that tests a SQLite mechanism without touching the file says so
 * with `@sqlite-only` and why (SQLite's group fsync, for instance).
 */
const SQLITE_ONLY = /ctx\.db\b|\.db\.\$client|beforeApp|openDataDir|shared: \(|power-cut\.ts|@sqlite-only/;

/**
 * The ways a test file starts a real vault: directly, through the companies' or the browser tests' harness, or as
 * server processes on one shared database.
 */
const STARTS_A_VAULT = /startVault\(|startCompanies\(|browserSuite\(|sharedDatabase\(/;

function vaultTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...vaultTestFiles(path));
    else if (e.name.endsWith('.test.ts')) {
      const text = readFileSync(path, 'utf8');
      if (STARTS_A_VAULT.test(text) && !SQLITE_ONLY.test(text)) out.push(path);
    }
  }
  return out;
}

export const POSTGRES_FILES = vaultTestFiles('test').sort();

// Not mergeConfig: it would append this include list to the base's globs instead of replacing them.
export default defineConfig({
  test: {
    ...base.test,
    include: POSTGRES_FILES,
    globalSetup: ['test/support/postgres-setup.ts'],
    env: { VAULT_TEST_DATABASE: 'postgres' },
  },
});
