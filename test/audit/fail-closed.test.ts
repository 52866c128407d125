import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let alice: Customer;
let token: string;
const count = (action: string) =>
  (v.ctx.db.$client.prepare('select count(*) n from audit_events where action = ?').get(action) as { n: number }).n;

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 99 88 77' });
  token = (await obtainTokens(v, await registerCompany(v), alice)).access_token;
});
afterAll(async () => v.close());

describe('a company read never leaves without its audit record (fail closed)', () => {
  it('when the audit append fails, then the read answers 503 with no data and no read is recorded', async () => {
    const before = count('data.read');
    v.ctx.db.$client.exec(
      "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;",
    );
    try {
      const r = await readData(v, token, alice.handle);
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/problem\+json/);
      expect(JSON.stringify(r.body)).not.toContain('99 88 77');
      expect(r.body.fields).toBeUndefined();
    } finally {
      v.ctx.db.$client.exec('DROP TRIGGER audit_broken');
    }
    expect(count('data.read')).toBe(before);
    const ok = await readData(v, token, alice.handle);
    expect(ok.status).toBe(200);
    expect(ok.body.fields.phone).toBe('+32 470 99 88 77');
    expect(count('data.read')).toBe(before + 1);
  });

  it('when the group fsync fails, then the read is refused and no data is sent', async () => {
    const commit = v.vault.services.commit;
    const durable = commit.durable;
    commit.durable = () => Promise.reject(new Error('EIO: simulated fsync failure'));
    try {
      const r = await readData(v, token, alice.handle);
      expect(r.status).toBe(503);
      expect(r.body.fields).toBeUndefined();
      expect(JSON.stringify(r.body)).not.toContain('99 88 77');
    } finally {
      commit.durable = durable;
    }
    expect((await readData(v, token, alice.handle)).status).toBe(200);
  });

  it('when the audit trail can no longer be made durable, then /readyz says so with 503', async () => {
    const commit = v.vault.services.commit;
    expect((await (await fetch(`${v.url}/readyz`)).json()).auditDurable).toBe(true);
    const healthy = commit.healthy;
    commit.healthy = () => false;
    try {
      const r = await fetch(`${v.url}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: 'not-ready', database: true, auditDurable: false });
    } finally {
      commit.healthy = healthy;
    }
  });
});
