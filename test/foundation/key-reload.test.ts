import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../../server/cli/context.ts';
import { rotateKekKeys, rotateSigningKey } from '../../server/cli/keys.ts';
import { KEY_RELOAD_INTERVAL_MS, reloadKeysIfChanged, startKeyReload } from '../../server/crypto/key-reload.ts';
import { openField } from '../../server/crypto/field-cipher.ts';
import { openStorage } from '../../server/storage.ts';
import { createLogger } from '../../server/http/logger.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowOf } from '../support/rows.ts';

/**
 * Two vault servers share one set of key files (README "Several servers"): B's data dir links to A's
 * kek.json and signing-keys.json, as a shared read-only mount would. Each has its own database, since
 * only the keys are under test. Nothing here waits on the reload timer: the tests call the reload the
 * timer would run.
 */
let a: RunningVault;
let b: RunningVault;
let logged = '';
const sink = new PassThrough();
const kekFile = () => join(a.dataDir, 'kek.json');
const signingFile = () => join(a.dataDir, 'signing-keys.json');

beforeAll(async () => {
  sink.on('data', (d) => (logged += d));
  a = await startVault();
  const dirB = mkdtempSync(join(tmpdir(), 'vault-test-b-'));
  for (const f of ['kek.json', 'signing-keys.json']) symlinkSync(join(a.dataDir, f), join(dirB, f));
  b = await startVault({ dataDir: dirB, logger: createLogger('info', sink) });
});
afterAll(async () => {
  await b.close();
  await a.close();
});
afterEach(() => vi.useRealTimers());

/** The operator's `vault keys …` on A's host: its own database connection and keyring, like the CLI. */
async function cliContext(): Promise<CliContext> {
  const storage = await openStorage(a.ctx.config);
  return { config: a.ctx.config, storage, backend: storage.backend, keyring: storage.keyring, close: storage.close };
}

const kekOf = async (v: RunningVault, id: string) =>
  (await rowOf<{ kekId: string; wrapped: Buffer }>(
    v,
    'select kek_id AS "kekId", wrapped_dek AS wrapped from customers where id = ?',
    id,
  ))!;

const kidsAt = async (v: RunningVault) =>
  ((await (await fetch(`${v.url}/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

const payload = () => ({ sub: 'probe', exp: Math.floor(Date.now() / 1000) + 300 });

describe('several servers sharing key files', () => {
  it('when `keys rotate` runs on A, then B loads the new KEK before the rewrap, and data sealed by A opens on B', async () => {
    const before = await new Customer(a.url).signUp(uniqueEmail('before'));
    const oldKek = a.ctx.keyring.activeKekId;
    const cli = await cliContext();
    const looked: unknown[] = [];
    const settle = async () => {
      looked.push(reloadKeysIfChanged(a.ctx).keyring, reloadKeysIfChanged(b.ctx).keyring);
      // Both servers wrap new data keys under the new KEK before a single old one is rewrapped.
      expect(a.ctx.keyring.activeKekId).toBe(cli.keyring.activeKekId);
      expect(b.ctx.keyring.activeKekId).toBe(cli.keyring.activeKekId);
    };
    const r = await rotateKekKeys(cli, undefined, { settle }).finally(() => cli.close());
    expect(looked).toEqual(['reloaded', 'reloaded']);
    expect(r.retired).toEqual([oldKek]);
    expect(b.ctx.keyring.activeKekId).toBe(r.newKekId);
    expect((await kekOf(a, before.id)).kekId).toBe(r.newKekId);

    // Sealed by A under the new KEK: B unwraps its data key and opens the field.
    const after = await new Customer(a.url).signUp(uniqueEmail('after'));
    expect((await after.call('PATCH', '/api/profile', { given_name: 'Ottoline' })).status).toBe(200);
    const w = await kekOf(a, after.id);
    expect(w.kekId).toBe(r.newKekId);
    const row = (await rowOf<{ sealed: Buffer; version: number }>(
      a,
      "select sealed, version from profile_fields where customer_id = ? and field = 'given_name'",
      after.id,
    ))!;
    const dek = b.ctx.keyring.unwrapDek(after.id, w);
    expect(openField(dek, { customerId: after.id, field: 'given_name', version: row.version }, row.sealed)).toBe(
      'Ottoline',
    );
    // And what B seals now is under the new KEK too.
    const onB = await new Customer(b.url).signUp(uniqueEmail('on-b'));
    expect((await kekOf(b, onB.id)).kekId).toBe(r.newKekId);
    // The retirement rewrote the file again: B drops the old KEK with it.
    expect(reloadKeysIfChanged(b.ctx).keyring).toBe('reloaded');
    expect(b.ctx.keyring.kekIds()).toEqual([r.newKekId]);
  });

  it('when `keys rotate-signing` runs on A, then after the reload B publishes the new key and verifies tokens A signs with it, old ones too', async () => {
    const oldToken = await a.ctx.signing.signJwt(payload(), 'at+jwt');
    const oldKid = decodeProtectedHeader(oldToken).kid!;
    const newKid = await rotateSigningKey(a.dataDir);
    expect(await kidsAt(b)).not.toContain(newKid);
    expect(reloadKeysIfChanged(a.ctx).signing).toBe('reloaded');
    expect(reloadKeysIfChanged(b.ctx).signing).toBe('reloaded');
    expect((await kidsAt(b)).sort()).toEqual([oldKid, newKid].sort());
    const newToken = await a.ctx.signing.signJwt(payload(), 'at+jwt');
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    await expect(b.ctx.signing.verifyJwt(newToken, {})).resolves.toMatchObject({ payload: { sub: 'probe' } });
    await expect(b.ctx.signing.verifyJwt(oldToken, {})).resolves.toMatchObject({ payload: { sub: 'probe' } });
  });

  it('when B meets a token signed with a key it has not loaded yet, then it looks at the key file before refusing', async () => {
    const newKid = await rotateSigningKey(a.dataDir);
    reloadKeysIfChanged(a.ctx);
    const token = await a.ctx.signing.signJwt(payload(), 'at+jwt');
    expect(decodeProtectedHeader(token).kid).toBe(newKid);
    await expect(b.ctx.signing.verifyJwt(token, {})).resolves.toMatchObject({ payload: { sub: 'probe' } });
    expect(await kidsAt(b)).toContain(newKid);
  });

  it('when the timer fires or SIGHUP arrives, then the changed key file is loaded', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const stop = startKeyReload(b.ctx);
    try {
      const kid1 = await rotateSigningKey(a.dataDir);
      vi.advanceTimersByTime(KEY_RELOAD_INTERVAL_MS - 1);
      expect(await kidsAt(b)).not.toContain(kid1);
      vi.advanceTimersByTime(1);
      expect(await kidsAt(b)).toContain(kid1);
      const kid2 = await rotateSigningKey(a.dataDir);
      process.emit('SIGHUP', 'SIGHUP');
      expect(await kidsAt(b)).toContain(kid2);
    } finally {
      stop();
    }
  });
});

describe('a changed key file that does not load', () => {
  const keyMaterial = (text: string) => [...text.matchAll(/"(?:key|indexKey|d|x)": "([^"]+)"/g)].map((m) => m[1]!);

  it.each([
    ['kek.json', kekFile, 'keyring'],
    ['signing-keys.json', signingFile, 'signing'],
  ] as const)(
    'when %s is half-written, then B keeps its keys and serves, logs an error without key material, and loads the whole file on a later look',
    async (_name, file, which) => {
      const good = readFileSync(file(), 'utf8');
      const activeKek = b.ctx.keyring.activeKekId;
      const kids = await kidsAt(b);
      logged = '';
      // A secret manager writing the file in place, caught half-way.
      writeFileSync(file(), good.slice(0, Math.floor(good.length / 2)));
      const served = async () => {
        expect(b.ctx.keyring.activeKekId).toBe(activeKek);
        expect(await kidsAt(b)).toEqual(kids);
        const c = await new Customer(b.url).signUp(uniqueEmail('during'));
        expect((await kekOf(b, c.id)).kekId).toBe(activeKek);
        const token = await b.ctx.signing.signJwt(payload(), 'at+jwt');
        await expect(b.ctx.signing.verifyJwt(token, {})).resolves.toBeDefined();
      };
      await served(); // requests never trip over the damaged file
      expect(reloadKeysIfChanged(b.ctx)[which]).toBe('kept');
      expect(reloadKeysIfChanged(b.ctx)[which]).toBe('kept'); // tried again on every look, never swapped in
      await served();

      const errors = logged
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; keys?: string; problem?: string })
        .filter((l) => l.level === 50);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatchObject({ keys: which, problem: expect.stringContaining(_name) });
      for (const secret of keyMaterial(good)) expect(logged).not.toContain(secret);

      writeFileSync(file(), good);
      expect(reloadKeysIfChanged(b.ctx)[which]).toBe('reloaded');
      expect(await kidsAt(b)).toEqual(kids);
    },
  );
});
