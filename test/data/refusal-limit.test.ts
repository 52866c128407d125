import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSALS_PER_WINDOW } from '../../server/data/refusal-limit.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

// Refused requests cost a company its refusal budget (60 a minute): past it, the data API answers 429
// with Retry-After, recorded once per window. The customer's activity shows real reads first and the
// refusals grouped, so that a flood of refusals cannot bury a real read.

let v: RunningVault;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  expect((await alice.call('PATCH', '/api/profile', { city: 'Brugge', phone: '+32 470 99 88 77' })).status).toBe(200);
});
afterAll(async () => v.close());

const count = (action: string, companyId: string) =>
  countOf(v, 'select count(*) AS n from audit_events where action = ? and company_id = ?', action, companyId);
/** Moves the test clock to the start of the next refusal window. */
const nextWindow = () => v.clock.advance(60_000 - (v.clock.now().getTime() % 60_000));
/** `n` reads of a field outside the grant, sent together. */
const refusedReads = (token: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => readData(v, token, alice.handle, ['phone'])));

describe('the per-company refusal limit', () => {
  it('when a company makes more refused requests in a minute than the limit, then it gets 429 with Retry-After until the minute ends, recorded once', async () => {
    nextWindow();
    v.clock.advance(15_000);
    const greedy = await registerCompany(v, { name: 'Greedy' });
    const other = await registerCompany(v, { name: 'Bystander' });
    const t = await obtainTokens(v, greedy, alice, { fields: ['city'] });
    const o = await obtainTokens(v, other, alice, { fields: ['city'] });
    const refused = await refusedReads(t.access_token, REFUSALS_PER_WINDOW);
    expect(refused.every((r) => r.status === 403)).toBe(true);
    expect(await count('data.denied', greedy.clientId)).toBe(REFUSALS_PER_WINDOW);

    const over = await Promise.all([
      readData(v, t.access_token, alice.handle, ['phone']),
      readData(v, t.access_token, alice.handle), // a read the grant allows is held back too
      readData(v, t.access_token, `${alice.handle}/`, ['phone']), // through express
    ]);
    for (const r of over) {
      expect(r.status).toBe(429);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.headers.get('retry-after')).toBe('45');
      expect(r.body.fields).toBeUndefined();
    }
    // Recorded once for the window, not once per request; the refusals are no longer audited one by one.
    expect(await count('data.throttled', greedy.clientId)).toBe(1);
    expect(await count('data.denied', greedy.clientId)).toBe(REFUSALS_PER_WINDOW);
    expect(await count('data.read', greedy.clientId)).toBe(0);
    // Another company is not affected.
    expect((await readData(v, o.access_token, alice.handle)).status).toBe(200);

    v.clock.advance(45_000);
    const after = await readData(v, t.access_token, alice.handle);
    expect(after.status).toBe(200);
    expect(after.body.fields).toEqual({ city: 'Brugge' });
  });

  it('when a company floods refusals over several minutes, then the real read is the first entry of the activity and the refusals are one line per reason', async () => {
    nextWindow();
    const flooder = await registerCompany(v, { name: 'Northwind' });
    const t = await obtainTokens(v, flooder, alice, { fields: ['city'] });
    const real = await readData(v, t.access_token, alice.handle);
    expect(real.status).toBe(200);
    const windows = 5;
    for (let w = 0; w < windows; w++) {
      await refusedReads(t.access_token, REFUSALS_PER_WINDOW + 5);
      nextWindow();
    }
    expect(await count('data.denied', flooder.clientId)).toBe(windows * REFUSALS_PER_WINDOW);
    expect(await count('data.throttled', flooder.clientId)).toBe(windows);

    const page = await alice.call('GET', '/api/reads?limit=10');
    expect(page.status).toBe(200);
    expect(page.body.reads[0]).toMatchObject({
      company: { name: 'Northwind' },
      action: 'data.read',
      decision: 'allow',
      fields: ['city'],
    });
    expect(page.body.reads.every((r: any) => r.action !== 'data.denied')).toBe(true);
    const groups = page.body.refusals.filter((g: any) => g.company.name === 'Northwind');
    expect(groups.map((g: any) => [g.reason.code, g.count])).toEqual([
      ['TOO_MANY_REFUSALS', windows],
      ['OUT_OF_SCOPE', windows * REFUSALS_PER_WINDOW],
    ]);
    const outOfScope = groups[1];
    expect(Date.parse(outOfScope.last) - Date.parse(outOfScope.first)).toBeGreaterThanOrEqual((windows - 1) * 60_000);
  });
});
