import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../server/cli/main.ts';
import { testDatabaseUrl } from '../support/test-database.ts';
import { basicMetadata, startCompanies, type CompaniesHarness } from './support.ts';
import { auditRows } from '../support/rows.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'vault-cli-companies-'));
let h: CompaniesHarness;

/** Runs `vault companies ...` as the operator would: exit code, stdout and stderr. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const capture = (into: 'out' | 'err') => (chunk: string | Uint8Array) => {
    if (into === 'out') out += String(chunk);
    else err += String(chunk);
    return true;
  };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(capture('out'));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(capture('err'));
  try {
    return { code: await runCli(['companies', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** The same, for commands expected to succeed: what they printed. */
async function vault(...args: string[]): Promise<string> {
  const r = await run(...args);
  if (r.code !== 0) throw new Error(`vault companies ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}

beforeAll(async () => {
  process.env.VAULT_DATA_DIR = dataDir;
  process.env.LOG_LEVEL = 'silent';
  // The CLI writes into the data dir first; the server then opens the same database (on the PostgreSQL pass, the
  // data dir's test database, test/support/test-database.ts).
  const databaseUrl = await testDatabaseUrl(dataDir);
  if (databaseUrl) process.env.VAULT_DATABASE_URL = databaseUrl;
  await vault('token', '--label', 'warm-up');
  h = await startCompanies({ dataDir });
});
afterAll(async () => h.close());

describe('vault companies', () => {
  it('when the operator issues a token, then it is printed once and a company can register with it exactly once', async () => {
    const printed = JSON.parse(await vault('token', '--label', 'Acme onboarding', '--ttl-hours', '48', '--json'));
    expect(printed).toMatchObject({
      ok: true,
      label: 'Acme onboarding',
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const hours = (Date.parse(printed.expiresAt) - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(47.9);
    expect(hours).toBeLessThan(48.1);
    expect((await h.register(basicMetadata(), printed.token)).status).toBe(201);
    expect((await h.register(basicMetadata(), printed.token)).status).toBe(401);
  });

  it('when the human format is asked for, then the token is on its own line', async () => {
    const text = await vault('token');
    expect(text).toMatch(/^initial access token \(shown once, expires .+\):\n[A-Za-z0-9_-]{43}\n$/);
  });

  it('when companies are listed, then each appears with status, method and terms version', async () => {
    const reg = await h.register(basicMetadata({ client_name: 'Listed Ltd' }));
    const json = JSON.parse(await vault('list', '--json'));
    expect(json.companies).toContainEqual(
      expect.objectContaining({
        id: reg.body.client_id,
        name: 'Listed Ltd',
        status: 'active',
        authMethod: 'client_secret_basic',
        termsVersion: 1,
      }),
    );
    const text = await vault('list');
    expect(text).toMatch(/^CLIENT ID\s+STATUS\s+AUTH\s+TERMS\s+CREATED\s+NAME\n/);
    expect(text).toContain(reg.body.client_id);
  });

  it('when the operator disables a company, then it is disabled, audited as the operator, and its live grants are revoked', async () => {
    const reg = await h.register(basicMetadata());
    const grants = h.v.vault.services.grants;
    const grant = await grants.create(
      {
        customerId: 'customer-1',
        companyId: reg.body.client_id,
        purpose: 'order-fulfilment',
        fields: ['email'],
        actions: ['read'],
        durationDays: 30,
        termsVersion: 1,
        policyVersion: 'test',
        autoApproved: false,
      },
      { kind: 'customer', id: 'customer-1' },
    );
    const out = JSON.parse(await vault('disable', reg.body.client_id, '--json'));
    expect(out).toMatchObject({ ok: true, company: { id: reg.body.client_id, status: 'disabled' } });
    expect((await h.companies.byId(reg.body.client_id))!.status).toBe('disabled');
    const event = (await auditRows(h.v)).find(
      (e) => e.companyId === reg.body.client_id && e.action === 'company.disabled',
    );
    expect(event?.actorKind).toBe('operator');
    expect((await grants.store.byId(grant.id))?.status).toBe('revoked');
  });

  it('when an unknown company is disabled, then the command fails with exit code 1 and says why', async () => {
    const r = await run('disable', 'no-such-client');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/No company/);
  });

  it('when --ttl-hours is not a positive number, then it is a usage error (exit 2)', async () => {
    expect((await run('token', '--ttl-hours', 'soon')).code).toBe(2);
  });

  it('when help is asked for, then every command describes itself and shows an example', async () => {
    for (const cmd of ['token', 'list', 'disable']) {
      const r = await run(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`Usage: vault companies ${cmd}`));
      expect(r.out).toContain('Example:');
      expect(r.out).toContain(`npm run vault -- companies ${cmd}`);
    }
  });
});
