import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli/main.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { freePort } from '../support/free-port.ts';
import { startVault } from '../support/vault.ts';

const root = join(import.meta.dirname, '..', '..');

/** Starts server/main.ts as the operator would; resolves with its output once it exits or is ready. */
function startMain(env: Record<string, string>) {
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'server/main.ts')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return { child, exited, output: () => out };
}

describe('the server process', () => {
  it('when a setting is invalid, then start-up stops with a message naming the variable', async () => {
    const p = startMain({ PORT: 'not-a-port', VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'vault-cfg-')) });
    const { code } = await p.exited;
    expect(code).toBe(78);
    expect(p.output()).toMatch(/PORT/);
  });

  it('when a policy file is malformed, then start-up stops naming the file and the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-pol-'));
    cpSync(join(root, 'policies'), join(dir, 'policies'), { recursive: true });
    const file = join(dir, 'policies', 'purposes.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('maxDurationDays: 90', 'maxDurationDays: ninety'));
    const p = startMain({
      PORT: String(await freePort()),
      VAULT_DATA_DIR: join(dir, 'data'),
      VAULT_POLICIES_DIR: join(dir, 'policies'),
    });
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(p.output()).toMatch(/purposes\.yaml/);
    expect(p.output()).toMatch(/maxDurationDays/);
  });

  it('when started on the embedded default, then it prints the URL, creates 0600 key files, and SIGTERM stops it cleanly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vault-main-'));
    const port = await freePort();
    const p = startMain({ PORT: String(port), VAULT_DATA_DIR: dataDir });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && !p.output().includes('Dashboard'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(p.output()).toContain(`${url}/`);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    for (const f of ['kek.json', 'signing-keys.json', 'vault.db'])
      expect(statSync(join(dataDir, f)).mode & 0o077).toBe(0);
    // A request in flight when SIGTERM arrives still gets its answer.
    const inflight = new Customer(url).call('POST', '/api/account', {
      email: uniqueEmail(),
      password: 'long enough password',
    });
    await new Promise((r) => setTimeout(r, 20));
    p.child.kill('SIGTERM');
    expect((await inflight).status).toBe(201);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    // The database was closed cleanly: it opens and holds the account.
    const db = new Database(join(dataDir, 'vault.db'), { readonly: true });
    expect((db.prepare('select count(*) n from customers').get() as { n: number }).n).toBe(1);
    db.close();
  });
});

describe('operator CLI', () => {
  it('when a backup is taken while the server serves, then the copy is a consistent database with the data', async () => {
    const v = await startVault();
    await new Customer(v.url).signUp(uniqueEmail());
    const env = { ...process.env };
    process.env.VAULT_DATA_DIR = v.dataDir;
    try {
      const target = join(v.dataDir, 'backup.db');
      expect(await runCli(['backup', target])).toBe(0);
      const db = new Database(target, { readonly: true });
      expect((db.prepare('select count(*) n from customers').get() as { n: number }).n).toBe(1);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      // An existing file is not overwritten unless asked.
      const size = statSync(target).size;
      expect(await runCli(['backup', target])).toBe(2);
      expect(statSync(target).size).toBe(size);
      expect(await runCli(['backup', target, '--force'])).toBe(0);
      expect(await runCli(['migrate', '--json'])).toBe(0);
      expect(await runCli(['policies', 'check'])).toBe(0);
      expect(await runCli(['no-such-command'])).toBe(2);
    } finally {
      process.env = env;
      await v.close();
    }
  });
});
