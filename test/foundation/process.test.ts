import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli/main.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { freePort } from '../support/free-port.ts';
import { rawConnection, served } from '../support/raw-socket.ts';
import { startVault } from '../support/vault.ts';

const root = join(import.meta.dirname, '..', '..');

/** Starts server/main.ts as the operator would; resolves with its output once it exits or is ready. */
function startMain(env: Record<string, string>) {
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'server/main.ts')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  const take = (d: Buffer) => {
    out += d;
    for (const w of waiting.filter((w) => out.includes(w.text))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  /** Resolves once the output contains `text`; fails if the process exits first. */
  const printed = (text: string) =>
    Promise.race([
      out.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ text, resolve })),
      exited.then((e) => {
        if (!out.includes(text)) throw new Error(`exited (${JSON.stringify(e)}) before printing ${text}: ${out}`);
      }),
    ]);
  return { child, exited, printed, output: () => out };
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
    await p.printed('Dashboard');
    expect(p.output()).toContain(`${url}/`);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    for (const f of ['kek.json', 'signing-keys.json', 'vault.db'])
      expect(statSync(join(dataDir, f)).mode & 0o077).toBe(0);
    // A request in flight when SIGTERM arrives still gets its answer. In flight: the server has read its
    // headers (it answers `Expect: 100-continue` when it hands the request over) and waits for the body.
    const idle = await rawConnection(url);
    await served(idle);
    const inflight = await rawConnection(url);
    const body = JSON.stringify({ email: uniqueEmail(), password: 'long enough password' });
    inflight.write(
      `POST /api/account HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nexpect: 100-continue\r\n\r\n`,
    );
    await inflight.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    p.child.kill('SIGTERM');
    // The server has begun to shut down once it closes the idle keep-alive connection.
    await idle.closed;
    inflight.write(body);
    const answer = await Promise.race([inflight.until(/\r\n\r\nHTTP\/1\.1 201 [\s\S]*\r\n\r\n\{/), inflight.closed]);
    expect(answer).toMatch(/\r\n\r\nHTTP\/1\.1 201 /);
    inflight.socket.destroy();
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
      if (v.ctx.config.databaseUrl) {
        // On PostgreSQL there is no file to copy: the command says to use pg_dump and writes nothing.
        process.env.VAULT_DATABASE_URL = v.ctx.config.databaseUrl;
        expect(await runCli(['backup', target])).toBe(78);
        expect(existsSync(target)).toBe(false);
        expect(await runCli(['migrate', '--json'])).toBe(0);
        return;
      }
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
