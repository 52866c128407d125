import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowOf, rowsOf } from '../support/rows.ts';

// The audit trail cannot be edited or erased, so nothing a caller types may reach it: the request id of
// every event is the one the server made, whatever `x-request-id` the caller sent.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Well-formed by any loose pattern, and personal data all the same.
const GIVEN = 'alice.martens-1984-03-12';
let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Id Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  expect((await alice.call('PATCH', '/api/profile', { city: 'Mechelen' })).status).toBe(200);
});
afterAll(async () => v.close());

const events = async (since: number) =>
  (await rowsOf<{ body: string }>(v, 'select body from audit_events where seq > ? order by seq', since)).map((r) =>
    JSON.parse(r.body),
  );
const head = async () => Number((await rowOf<{ s: number | string }>(v, 'select max(seq) AS s from audit_events'))!.s);

describe('request ids in the audit trail', () => {
  it('when a company sends its own x-request-id on reads, refusals and deposits, then every event carries the id the server made and sent back', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['city'], actions: ['read', 'deposit'] });
    const since = await head();
    const given = { 'x-request-id': GIVEN };
    const answers = [
      await readData(v, t.access_token, alice.handle, undefined, given), // the read's own path
      await readData(v, t.access_token, `${alice.handle}/`, undefined, given), // through express
      await readData(v, t.access_token, alice.handle, ['phone'], given), // refused, audited
    ];
    const deposit = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json', ...given },
      body: JSON.stringify({ category: 'address', content: { note: 'parcel' } }),
    });
    expect(answers.map((a) => a.status)).toEqual([200, 200, 403]);
    expect(deposit.status).toBe(201);
    const sent = [...answers.map((a) => a.headers.get('x-request-id')), deposit.headers.get('x-request-id')];
    for (const id of sent) expect(id).toMatch(UUID);
    const audited = await events(since);
    expect(audited.map((e) => e.action)).toEqual(['data.read', 'data.read', 'data.denied', 'data.deposit']);
    expect(audited.map((e) => e.requestId)).toEqual(sent);
  });

  it('when a customer sends its own x-request-id on a grant change, then the event carries the server id', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['city'] });
    const since = await head();
    const r = await alice.call('DELETE', `/api/grants/${t.grant_id}`, undefined, { 'x-request-id': GIVEN });
    expect(r.status).toBeLessThan(300);
    const audited = await events(since);
    expect(audited.map((e) => e.action)).toEqual(['grant.revoked']);
    expect(audited[0].requestId).toBe(r.headers.get('x-request-id'));
    expect(audited[0].requestId).toMatch(UUID);
  });

  it('when ids were sent with every request, then the typed value is nowhere in the trail', async () => {
    const all = await rowsOf<{ body: string }>(v, 'select body from audit_events');
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((r) => r.body.includes(GIVEN))).toEqual([]);
  });
});
