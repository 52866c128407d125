import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * Issue 13, "Bad input and faults", through the real server on PostgreSQL: the database going away answers 503
 * problem+json with Retry-After and releases no data (fail closed); when it is back, the same server serves again,
 * without a restart. A cluster of this file's own (halting the suite's shared one would stop every other file's).
 */
const PHONE = '+32 470 55 66 77';
let cluster: PostgresCluster;
let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
let token: string;
const email = uniqueEmail('outage');

beforeAll(async () => {
  cluster = await startPostgres();
  const url = await cluster.createDatabase('outage');
  v = await startVault({ env: { VAULT_DATABASE_URL: url } });
  shop = await registerCompany(v, { name: 'Outage Shop' });
  alice = await new Customer(v.url).signUp(email);
  expect((await alice.call('PATCH', '/api/profile', { phone: PHONE })).status).toBe(200);
  token = (await obtainTokens(v, shop, alice)).access_token;
}, 60_000);
afterAll(async () => {
  await v?.close();
  cluster?.stop();
});

/** Reads until one answers other than 503, at most `deadlineMs`: the pool drops dead connections as it meets them. */
async function readOnceBack(deadlineMs: number) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const r = await readData(v, token, alice.handle, ['phone']);
    if (r.status !== 503 || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('PostgreSQL going away under the real server', () => {
  it('when the database stops, then reads, tokens and sign-ins answer 503 problem+json with no data, and once it is back the server serves again', async () => {
    const before = await readData(v, token, alice.handle, ['phone']);
    expect(before.status).toBe(200);
    expect(JSON.stringify(before.body)).toContain(PHONE);

    cluster.halt();
    try {
      const read = await readData(v, token, alice.handle, ['phone']);
      expect(read.status).toBe(503);
      expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(JSON.stringify(read.body)).not.toContain(PHONE);

      const tokenAnswer = await fetch(`${v.url}/token`, {
        method: 'POST',
        headers: { authorization: shop.basic(), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(tokenAnswer.status).toBe(503);
      const signIn = await new Customer(v.url).signIn(email);
      expect(signIn.status).toBe(503);
      const ready = await fetch(`${v.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ database: false });
    } finally {
      cluster.resume();
    }

    const after = await readOnceBack(15_000);
    expect(after.status).toBe(200);
    expect(JSON.stringify(after.body)).toContain(PHONE);
    expect((await fetch(`${v.url}/readyz`)).status).toBe(200);
    // Every read released before and after the outage has its event; none was written for the refused one.
    const reads = await cluster.query<{ n: number }>(
      'outage',
      "SELECT count(*)::int AS n FROM audit_events WHERE action = 'data.read' AND decision IS DISTINCT FROM 'deny'",
    );
    expect(reads[0]!.n).toBe(2);
  }, 60_000);
});
