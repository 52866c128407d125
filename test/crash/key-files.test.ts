import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { startVault } from '../support/vault.ts';
import { startServer } from './load.ts';
import { compileShim, restoreSyncedState, shimEnv, syncTree } from './power-cut.ts';

/**
 * SECURITY.md "Keys": kek.json and signing-keys.json are durable before anything that depends on them is
 * acknowledged. A simulated power cut (power-cut-shim.c) right after the first start's first answers,
 * after `keys rotate` and after `keys rotate-signing` must leave keys that open the data.
 */
const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'vault-keycut-'));
const dataDir = join(work, 'data');
const email = uniqueEmail('keys');
const phone = '+32 470 98 76 54';
let shim: string;

beforeAll(() => {
  shim = compileShim(work);
  mkdirSync(dataDir);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** After the cut: the vault starts, the customer signs in (blind index key) and reads the profile (KEK). */
async function dataStillOpens(): Promise<void> {
  const v = await startVault({ dataDir });
  try {
    const c = new Customer(v.url);
    expect((await c.signIn(email)).status).toBe(200);
    expect((await c.call('GET', '/api/profile')).body.fields.phone.value).toBe(phone);
  } finally {
    await v.close({ keepData: true });
  }
}

function cliUnderShim(args: string[], logDir: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'server/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, VAULT_DATA_DIR: dataDir, ...shimEnv(shim, dataDir, logDir) },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('key files across a power cut', () => {
  it('when the power is cut right after a first start has answered, then the keys it made are there', async () => {
    const logDir = join(work, 'log-first');
    const server = await startServer({ VAULT_DATA_DIR: dataDir, ...shimEnv(shim, dataDir, logDir) });
    const c = await new Customer(server.url).signUp(email);
    expect((await c.call('PATCH', '/api/profile', { phone })).status).toBe(200);
    await server.kill();
    restoreSyncedState(dataDir, logDir);
    await dataStillOpens();
  });

  it('when the power is cut right after `keys rotate` reported success, then the new KEK is there', async () => {
    syncTree(dataDir);
    const logDir = join(work, 'log-rotate');
    const r = cliUnderShim(['keys', 'rotate', '--json', '--settle-seconds', '0'], logDir);
    restoreSyncedState(dataDir, logDir);
    expect(JSON.parse(readFileSync(join(dataDir, 'kek.json'), 'utf8')).active).toBe(r.newKekId);
    await dataStillOpens();
  });

  it('when the power is cut right after `keys rotate-signing` reported success, then the new signing key is there', async () => {
    syncTree(dataDir);
    const logDir = join(work, 'log-signing');
    const r = cliUnderShim(['keys', 'rotate-signing', '--json'], logDir);
    restoreSyncedState(dataDir, logDir);
    const kids = (JSON.parse(readFileSync(join(dataDir, 'signing-keys.json'), 'utf8')) as Array<{ kid: string }>).map(
      (k) => k.kid,
    );
    expect(kids).toContain(r.kid);
    await dataStillOpens();
  });
});
