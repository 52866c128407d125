import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli/main.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { freePort } from '../support/free-port.ts';
import { startVault } from '../support/vault.ts';

/**
 * SECURITY.md "Keys": a damaged or missing key file stops the start with a message naming the file and
 * saying to restore it from backup; it is never silently replaced by a new key. Checked through the
 * real start-up (server/main.ts as a process) and through the operator CLI.
 */
const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'vault-keyfiles-'));
let populated: string; // a data dir with one customer whose profile is sealed under kek.json
let foreignKek: string; // a valid kek.json of another vault

beforeAll(async () => {
  const v = await startVault({ dataDir: join(work, 'populated') });
  const c = await new Customer(v.url).signUp(uniqueEmail());
  expect((await c.call('PATCH', '/api/profile', { phone: '+32 470 11 22 33' })).status).toBe(200);
  populated = v.dataDir;
  await v.close({ keepData: true });
  const other = await startVault();
  foreignKek = readFileSync(join(other.dataDir, 'kek.json'), 'utf8');
  await other.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function copyOfPopulated(): string {
  const dir = join(work, `case-${n++}`);
  cpSync(populated, dir, { recursive: true });
  return dir;
}

function startMain(dataDir: string, port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), VAULT_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d: Buffer) => {
    out += d;
    // A start that gets this far has accepted the damaged keys: stop it, the test has failed.
    if (out.includes('Consent vault is running')) child.kill('SIGKILL');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, out })),
  );
}

async function cli(dataDir: string, args: string[]): Promise<{ code: number; err: string }> {
  const env = { ...process.env };
  const [stdout, stderr] = [process.stdout.write, process.stderr.write];
  let err = '';
  process.env.VAULT_DATA_DIR = dataDir;
  process.stdout.write = (() => true) as typeof stdout;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof stderr;
  try {
    return { code: await runCli(args), err };
  } finally {
    [process.stdout.write, process.stderr.write] = [stdout, stderr];
    process.env = env;
  }
}

const kek = (dir: string) => join(dir, 'kek.json');
const sig = (dir: string) => join(dir, 'signing-keys.json');
const truncate = (f: string) => writeFileSync(f, readFileSync(f, 'utf8').slice(0, 60));

const damages: Array<[string, (dir: string) => void, RegExp, (dir: string) => string]> = [
  ['kek.json is empty', (d) => writeFileSync(kek(d), ''), /kek\.json is empty/, kek],
  ['kek.json is truncated', (d) => truncate(kek(d)), /kek\.json is not valid JSON/, kek],
  ['kek.json is not JSON', (d) => writeFileSync(kek(d), 'kek = 42\n'), /kek\.json is not valid JSON/, kek],
  [
    'kek.json has the wrong shape',
    (d) => writeFileSync(kek(d), JSON.stringify({ active: 'kek-1', keks: [] })),
    /kek\.json is not a keyring \(indexKey/,
    kek,
  ],
  [
    'kek.json lacks the key that wraps the stored data keys',
    (d) => writeFileSync(kek(d), foreignKek),
    /kek\.json lacks the key-encryption key kek-[0-9a-f]+ that wraps stored data keys/,
    kek,
  ],
  ['kek.json is missing', (d) => unlinkSync(kek(d)), /kek\.json is missing although .*vault\.db exists/, kek],
  ['signing-keys.json is empty', (d) => writeFileSync(sig(d), ''), /signing-keys\.json is empty/, sig],
  ['signing-keys.json is truncated', (d) => truncate(sig(d)), /signing-keys\.json is not valid JSON/, sig],
  [
    'signing-keys.json is an empty list',
    (d) => writeFileSync(sig(d), '[]'),
    /signing-keys\.json is not a signing-key list/,
    sig,
  ],
  ['signing-keys.json is missing', (d) => unlinkSync(sig(d)), /signing-keys\.json is missing although/, sig],
];

// Every damage through the CLI; a representative few through the server process (each start costs ~2 s).
const throughServer = damages.filter(([name]) =>
  [
    'kek.json is empty',
    'kek.json is truncated',
    'kek.json lacks the key that wraps the stored data keys',
    'signing-keys.json is missing',
  ].includes(name),
);

describe('a damaged keyring at start-up', () => {
  it.concurrent.each(throughServer)(
    'when %s, then the server does not start, names the file and says to restore it, and writes no new key',
    async (_name, damage, message, file) => {
      const dir = copyOfPopulated();
      damage(dir);
      const before = existsSync(file(dir)) ? readFileSync(file(dir)) : null;
      const { code, out } = await startMain(dir, await freePort());
      expect(code).toBe(1);
      expect(out).toMatch(message);
      expect(out).toContain(file(dir));
      expect(out).toMatch(/No new key is made in its place.*restore .* from your latest backup/s);
      expect(existsSync(file(dir)) ? readFileSync(file(dir)) : null).toEqual(before);
    },
  );

  it.each(damages)(
    'when %s, then the operator CLI stops the same way (exit 1)',
    async (_name, damage, message, file) => {
      const dir = copyOfPopulated();
      damage(dir);
      const before = existsSync(file(dir)) ? readFileSync(file(dir)) : null;
      const r = await cli(dir, ['audit', 'checkpoint']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/restore .* from your latest backup/);
      expect(existsSync(file(dir)) ? readFileSync(file(dir)) : null).toEqual(before);
    },
  );

  it('when the damaged file is restored from a backup, then the vault starts and the data opens again', async () => {
    const dir = copyOfPopulated();
    const backup = readFileSync(kek(dir));
    writeFileSync(kek(dir), '');
    expect((await cli(dir, ['audit', 'checkpoint'])).code).toBe(1);
    writeFileSync(kek(dir), backup);
    expect((await cli(dir, ['audit', 'checkpoint'])).code).toBe(0);
    const v = await startVault({ dataDir: dir });
    try {
      const row = v.ctx.db.$client.prepare('select id, kek_id k, wrapped_dek w from customers').get() as {
        id: string;
        k: string;
        w: Buffer;
      };
      expect(v.ctx.keyring.unwrapDek(row.id, { kekId: row.k, wrapped: row.w })).toHaveLength(32);
    } finally {
      await v.close();
    }
  });
});

describe('fresh keys', () => {
  it('when the data dir holds nothing, then both key files are made before the database', async () => {
    const dir = join(work, 'fresh');
    expect((await cli(dir, ['audit', 'checkpoint'])).code).toBe(0);
    for (const f of ['kek.json', 'signing-keys.json', 'vault.db']) expect(existsSync(join(dir, f))).toBe(true);
  });

  it('when a key file exists but there is no database yet (an interrupted first start), then nothing is generated', async () => {
    const dir = join(work, 'half');
    mkdirSync(dir);
    cpSync(kek(populated), kek(dir));
    const r = await cli(dir, ['audit', 'checkpoint']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/signing-keys\.json is missing although .*kek\.json exists/);
    expect(existsSync(sig(dir))).toBe(false);
    expect(existsSync(join(dir, 'vault.db'))).toBe(false);
  });
});
