import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'vault-cli-safety-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The operator CLI as a separate process with its own environment. */
function vault(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('operator CLI safety', () => {
  it('when the KEK comes from VAULT_MASTER_KEY, then keys rotate refuses (78) and writes no KEK next to the database', () => {
    const dir = fresh();
    const env = { VAULT_DATA_DIR: dir, VAULT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64url') };
    expect(vault(env, 'migrate').code).toBe(0);
    const before = existsSync(join(dir, 'kek.json')) ? readFileSync(join(dir, 'kek.json'), 'utf8') : '';
    const r = vault(env, 'keys', 'rotate');
    expect(r.code).toBe(78);
    expect(r.err).toMatch(/VAULT_MASTER_KEY/);
    const after = existsSync(join(dir, 'kek.json')) ? readFileSync(join(dir, 'kek.json'), 'utf8') : '';
    expect(after).toBe(before);
  });

  it('when VAULT_DATA_DIR names no vault, then the command says it is creating a new one', () => {
    const dir = join(fresh(), 'typo');
    const r = vault({ VAULT_DATA_DIR: dir }, 'companies', 'list');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/no vault in .*typo; creating a new one/);
    expect(vault({ VAULT_DATA_DIR: dir }, 'companies', 'list').err).not.toMatch(/creating a new one/);
  });
});
