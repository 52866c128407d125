import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditQueries } from '../../server/audit/queries.ts';
import { DEFAULT_CHAIN } from '../../server/audit/chain/chains.ts';
import { verifyExport, verifyRows } from '../../server/audit/verify/verify.ts';
import { runCli } from '../../server/cli/main.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, rowOf, rowsOf, runSql } from '../support/rows.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
let auditor: Customer;
const auditorEmail = uniqueEmail('auditor');

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Audited Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 55 44 33' });
  await v.vault.services.accounts.createAuditor({ email: auditorEmail, password: 'auditor passphrase 1' });
  auditor = new Customer(v.url);
  expect((await auditor.signIn(auditorEmail, 'auditor passphrase 1')).status).toBe(200);
});
afterAll(async () => v.close());

const jwks = async () => (await fetch(`${v.url}/jwks.json`)).json();
const liveRows = () => createAuditQueries(v.ctx.backend).allRows();
const readEvents = () => countOf(v, "select count(*) AS n from audit_events where action = 'data.read'");
/** Points the CLI at this vault: its data dir, and on PostgreSQL its database. */
const cliEnv = () => {
  process.env.VAULT_DATA_DIR = v.dataDir;
  if (v.ctx.config.databaseUrl) process.env.VAULT_DATABASE_URL = v.ctx.config.databaseUrl;
};

describe('the audit trail through the real server', () => {
  it('when 200 reads arrive concurrently, then the chain verifies with exactly 200 read events', async () => {
    const before = await readEvents();
    // Four grants of 50 reads each stay inside the platform's per-grant hourly budget (60).
    const grants = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const c = await new Customer(v.url).signUp(uniqueEmail(`conc${i}`));
        await c.call('PATCH', '/api/profile', { phone: `+32 470 00 00 1${i}` });
        return { c, t: await obtainTokens(v, shop, c) };
      }),
    );
    const results = await Promise.all(
      grants.flatMap(({ c, t }) => Array.from({ length: 50 }, () => readData(v, t.access_token, c.handle))),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(200);
    expect((await readEvents()) - before).toBe(200);
    // On PostgreSQL the reads are on the chains of the server's batch lanes: each is checked by its own links.
    const multi = (await createAuditQueries(v.ctx.backend).heads()).some((h) => h.chain !== DEFAULT_CHAIN);
    const r = await verifyRows(liveRows(), { multi });
    expect(r).toMatchObject({ ok: true });
  });

  it('when an auditor exports, then the file verifies offline against the JWKS and the export itself is logged', async () => {
    await readData(v, (await obtainTokens(v, shop, alice)).access_token, alice.handle);
    const res = await fetch(`${v.url}/api/audit/export?format=jsonl`, { headers: { cookie: auditor.cookie } });
    expect(res.status).toBe(200);
    const file = join(v.dataDir, 'export.jsonl');
    writeFileSync(file, await res.text());
    const result = await verifyExport(file, { jwks: await jwks() });
    expect(result).toMatchObject({ ok: true, complete: true, anchored: true });
    const last = (await rowOf<{ body: string }>(
      v,
      "select body from audit_events where action = 'auditor.export' order by seq desc limit 1",
    ))!;
    expect(JSON.parse(last.body).actor.kind).toBe('auditor');
  });

  it('when a filtered CSV export is asked for, then only matching events come back and each verifies', async () => {
    const res = await fetch(`${v.url}/api/audit/export?format=csv&action=data.read&company=${shop.clientId}`, {
      headers: { cookie: auditor.cookie },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const file = join(v.dataDir, 'filtered.csv');
    writeFileSync(file, text);
    const result = await verifyExport(file, { jwks: await jwks() });
    expect(result).toMatchObject({ ok: true, complete: false, anchored: false });
    expect(result.ok && result.events).toBeGreaterThanOrEqual(200);
  });

  it('when a checkpoint is signed on demand, then its JWS verifies against the JWKS', async () => {
    await readData(v, (await obtainTokens(v, shop, alice)).access_token, alice.handle);
    const r = await auditor.call('POST', '/api/audit/checkpoints');
    expect(r.status).toBe(201);
    expect(r.body.created).toBe(true);
    const again = await auditor.call('POST', '/api/audit/checkpoints');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ seq: r.body.seq, created: false });
    const { payload, protectedHeader } = await compactVerify(r.body.jws, createLocalJWKSet(await jwks()));
    expect(protectedHeader.typ).toBe('vault-checkpoint+jwt');
    // One chain signs its head; several (one per server on PostgreSQL, SECURITY.md) sign every head together.
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(
      r.body.chains
        ? { chains: r.body.chains, time: r.body.time }
        : { seq: r.body.seq, hash: r.body.hash, time: r.body.time },
    );
    expect((await auditor.call('GET', '/api/audit/checkpoints')).body.checkpoints[0].seq).toBe(r.body.seq);
  });

  it("when a grant is created and revoked, then signed receipts reach the customer's inbox and the company can fetch them", async () => {
    const t = await obtainTokens(v, shop, alice);
    await alice.call('DELETE', `/api/grants/${t.grant_id}`);
    const list = (await alice.call('GET', '/api/receipts')).body.receipts.filter(
      (x: { grantId: string }) => x.grantId === t.grant_id,
    );
    expect(list.map((x: { kind: string }) => x.kind).sort()).toEqual(['created', 'revoked']);
    const one = (await alice.call('GET', `/api/receipts/${list[0].id}`)).body;
    const { payload, protectedHeader } = await compactVerify(one.jws, createLocalJWKSet(await jwks()));
    expect(protectedHeader.typ).toBe('consent-receipt+jwt');
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims.piiControllers[0].piiController).toBe('Audited Shop');
    expect(claims.services[0].purposes[0]).toMatchObject({
      purpose: 'order-fulfilment',
      fields: ['email', 'phone'],
      piiCategory: ['contact'],
    });
    expect(claims.withdrawal).toMatch(/withdraw this consent at any time/);
    expect(JSON.stringify(claims)).not.toContain('55 44 33');
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages;
    expect(
      inbox.some(
        (m: { body: { receiptId?: string } }) => m.body.receiptId === list[0].id || m.body.receiptId === list[1].id,
      ),
    ).toBe(true);
    // The company fetches them with its grant_management token.
    const mgmt = await fetch(`${v.url}/token`, {
      method: 'POST',
      headers: { authorization: shop.basic(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=grant_management',
    }).then((r) => r.json());
    const fetched = await fetch(`${v.url}/company/receipts?grant_id=${t.grant_id}`, {
      headers: { authorization: `Bearer ${mgmt.access_token}` },
    }).then((r) => r.json());
    expect(fetched.receipts).toHaveLength(2);
  });

  it('when the customer looks at reads of their data, then they see who, which fields, when and why, newest first', async () => {
    const r = await alice.call('GET', '/api/reads?limit=2');
    expect(r.status).toBe(200);
    expect(r.body.reads[0]).toMatchObject({
      action: 'data.read',
      company: { name: 'Audited Shop' },
      purpose: 'order-fulfilment',
      fields: ['email', 'phone'],
    });
    expect(r.body.reads[0].seq).toBeGreaterThan(r.body.reads[1]?.seq ?? 0);
  });

  it('when the CLI exports and verifies, then a full export and the live chain exit 0, a filtered export 3 unless accepted unanchored', async () => {
    const env = { ...process.env };
    cliEnv();
    const file = join(v.dataDir, 'cli.jsonl');
    const filtered = join(v.dataDir, 'cli-reads.jsonl');
    const jwksFile = join(v.dataDir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(await jwks()));
    try {
      expect(await runCli(['audit', 'export', '--out', file])).toBe(0);
      expect(await runCli(['audit', 'verify', file, '--jwks', jwksFile, '--json'])).toBe(0);
      expect(await runCli(['audit', 'verify', '--live', '--json'])).toBe(0);
      expect(await runCli(['audit', 'export', '--action', 'data.read', '--out', filtered])).toBe(0);
      expect(await runCli(['audit', 'verify', filtered, '--jwks', jwksFile, '--json'])).toBe(3);
      expect(await runCli(['audit', 'verify', filtered, '--jwks', jwksFile, '--json', '--allow-unanchored'])).toBe(0);
    } finally {
      process.env = env;
    }
  });

  it("when the database's newest checkpoint row carries another checkpoint's signature, then verify --live exits 3", async () => {
    const env = { ...process.env };
    cliEnv();
    try {
      expect(await runCli(['audit', 'checkpoint'])).toBe(0);
      await new Customer(v.url).signUp(uniqueEmail('cp'));
      expect(await runCli(['audit', 'checkpoint'])).toBe(0);
      const [newest, older] = await rowsOf<{ seq: number; jws: string }>(
        v,
        'select seq, jws from audit_checkpoints order by seq desc limit 2',
      );
      expect(newest!.seq).toBeGreaterThan(older!.seq);
      // A genuine signature, but for an older seq and hash: the row no longer says what was signed.
      await runSql(v, 'update audit_checkpoints set jws = ? where seq = ?', older!.jws, newest!.seq);
      try {
        expect(await runCli(['audit', 'verify', '--live', '--json'])).toBe(3);
      } finally {
        await runSql(v, 'update audit_checkpoints set jws = ? where seq = ?', newest!.jws, newest!.seq);
      }
      expect(await runCli(['audit', 'verify', '--live', '--json'])).toBe(0);
    } finally {
      process.env = env;
    }
  });
});

describe('who may reach which API', () => {
  const table: Array<[who: 'auditor' | 'customer', method: string, path: string, status: number]> = [
    ['auditor', 'GET', '/api/profile', 403],
    ['auditor', 'GET', '/api/grants', 403],
    ['auditor', 'GET', '/api/reads', 403],
    ['auditor', 'GET', '/api/export', 403],
    ['auditor', 'PUT', '/api/criteria', 403],
    ['customer', 'GET', '/api/audit/events', 403],
    ['customer', 'GET', '/api/audit/export', 403],
    ['customer', 'GET', '/api/audit/checkpoints', 403],
    ['customer', 'POST', '/api/audit/checkpoints', 403],
    ['auditor', 'GET', '/api/audit/events', 200],
    ['customer', 'GET', '/api/profile', 200],
  ];
  it.each(table)('when the %s calls %s %s, then %i', async (who, method, path, status) => {
    const client = who === 'auditor' ? auditor : alice;
    const r = await client.call(method, path, method === 'PUT' ? {} : undefined);
    expect(r.status).toBe(status);
  });

  it("when an auditor's session presents itself to the company APIs, then it gets nothing", async () => {
    const r = await fetch(`${v.url}/data/customers/${alice.handle}`, { headers: { cookie: auditor.cookie } });
    expect(r.status).toBe(401);
    const g = await fetch(`${v.url}/company/grants`, { headers: { cookie: auditor.cookie } });
    expect(g.status).toBe(401);
  });
});
