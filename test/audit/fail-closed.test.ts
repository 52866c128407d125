import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, runSql } from '../support/rows.ts';
import { ON_POSTGRES } from '../support/test-database.ts';

let v: RunningVault;
let alice: Customer;
let token: string;
const count = (action: string) => countOf(v, 'select count(*) AS n from audit_events where action = ?', action);
/** A trigger that refuses every audit insert, as a failing disk would, in each dialect's words. */
const BREAK_AUDIT = ON_POSTGRES
  ? [
      "CREATE FUNCTION audit_broken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated disk failure'; END $$",
      'CREATE TRIGGER audit_broken BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_broken()',
    ]
  : [
      "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END",
    ];
const MEND_AUDIT = ON_POSTGRES
  ? ['DROP TRIGGER audit_broken ON audit_events', 'DROP FUNCTION audit_broken()']
  : ['DROP TRIGGER audit_broken'];

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 99 88 77' });
  token = (await obtainTokens(v, await registerCompany(v), alice)).access_token;
});
afterAll(async () => v.close());

describe('a company read never leaves without its audit record (fail closed)', () => {
  it('when the audit append fails, then the read answers 503 with no data and no read is recorded', async () => {
    const before = await count('data.read');
    for (const sql of BREAK_AUDIT) await runSql(v, sql);
    try {
      const r = await readData(v, token, alice.handle);
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/problem\+json/);
      expect(JSON.stringify(r.body)).not.toContain('99 88 77');
      expect(r.body.fields).toBeUndefined();
    } finally {
      for (const sql of MEND_AUDIT) await runSql(v, sql);
    }
    expect(await count('data.read')).toBe(before);
    const ok = await readData(v, token, alice.handle);
    expect(ok.status).toBe(200);
    expect(ok.body.fields.phone).toBe('+32 470 99 88 77');
    expect(await count('data.read')).toBe(before + 1);
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
