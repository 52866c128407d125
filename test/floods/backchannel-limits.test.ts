import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_LIMITS } from '../../server/oauth/request-limits.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

const ask = (c: RegisteredCompany, handle: string, duration = 'P7D') =>
  form(
    `${v.url}/bc-authorize`,
    { login_hint: handle, authorization_details: details(['phone'], 'customer-support', duration) },
    { authorization: c.basic() },
  );
const pending = async (who: Customer) => (await who.call('GET', '/api/requests')).body.requests as unknown[];
const requestMessages = async (who: Customer) =>
  ((await who.call('GET', '/api/inbox')).body.messages as { kind: string }[]).filter(
    (m) => m.kind === 'request.pending',
  );
const customer = () => new Customer(v.url).signUp(uniqueEmail('flooded'));

function expectTooMany(r: Awaited<ReturnType<typeof form>>) {
  expect(r.status).toBe(429);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.body.error).toBe('slow_down');
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('back-channel floods', () => {
  it('when a company repeats a request that still waits, then it gets the same auth_req_id, and the customer one request and one message', async () => {
    const co = await registerCompany(v, { name: 'Repeater' });
    const c = await customer();
    const first = await ask(co, c.handle);
    const again = await ask(co, c.handle);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.auth_req_id).toBe(first.body.auth_req_id);
    expect(again.body.expires_in).toBeLessThanOrEqual(first.body.expires_in);
    expect(await pending(c)).toHaveLength(1);
    expect(await requestMessages(c)).toHaveLength(1);
    // A different request is not a repeat.
    expect((await ask(co, c.handle, 'P3D')).body.auth_req_id).not.toBe(first.body.auth_req_id);
    expect(await pending(c)).toHaveLength(2);
  });

  it('when a company repeats a waiting request with its fields listed in another order, then it is still the same request', async () => {
    const co = await registerCompany(v, { name: 'Reorderer' });
    const c = await customer();
    const askFor = (fields: string[]) =>
      form(
        `${v.url}/bc-authorize`,
        { login_hint: c.handle, authorization_details: details(fields, 'customer-support', 'P7D') },
        { authorization: co.basic() },
      );
    const first = await askFor(['phone', 'email']);
    const reordered = await askFor(['email', 'phone', 'email']);
    expect(first.status).toBe(200);
    expect(reordered.body.auth_req_id).toBe(first.body.auth_req_id);
    expect(await pending(c)).toHaveLength(1);
    expect(await requestMessages(c)).toHaveLength(1);
  });

  it('when a company sends one customer more requests than its hourly budget, then the next is 429 with Retry-After and adds nothing, until the hour is over', async () => {
    const co = await registerCompany(v, { name: 'Pesterer' });
    const c = await customer();
    const { limit, windowSeconds } = REQUEST_LIMITS.backchannelPerCompanyAndCustomer;
    for (let i = 0; i < limit; i++) expect((await ask(co, c.handle)).status).toBe(200);
    const over = await ask(co, c.handle, 'P2D');
    expectTooMany(over);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(windowSeconds);
    expect(await pending(c)).toHaveLength(1);
    expect(await requestMessages(c)).toHaveLength(1);
    v.clock.advance(windowSeconds * 1000);
    expect((await ask(co, c.handle, 'P2D')).status).toBe(200);
  });

  it('when a company sends more back-channel requests a minute than its budget, whoever they are for, then the next is 429', async () => {
    const co = await registerCompany(v, { name: 'Sprayer' });
    const c = await customer();
    const { limit, windowSeconds } = REQUEST_LIMITS.backchannelPerCompany;
    // Probing unknown handles spends the budget too.
    for (let i = 0; i < limit; i++) expect((await ask(co, `vh-nobody-${i}`)).body.error).toBe('unknown_user_id');
    expectTooMany(await ask(co, c.handle));
    expect(await pending(c)).toHaveLength(0);
    v.clock.advance(windowSeconds * 1000);
    expect((await ask(co, c.handle)).status).toBe(200);
  });

  it('when a customer already has the maximum of requests waiting, then a new one from any company is 429 until one expires', async () => {
    const c = await customer();
    const max = REQUEST_LIMITS.pendingPerCustomer;
    const perCompany = REQUEST_LIMITS.backchannelPerCompanyAndCustomer.limit;
    let asked = 0;
    while (asked < max) {
      const co = await registerCompany(v, { name: `Asker ${asked}` });
      for (let i = 0; i < perCompany && asked < max; i++, asked++)
        expect((await ask(co, c.handle, `P${i + 1}D`)).status).toBe(200);
    }
    expect(await pending(c)).toHaveLength(max);
    const late = await registerCompany(v, { name: 'Latecomer' });
    const refused = await ask(late, c.handle);
    expectTooMany(refused);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(600);
    expect(await pending(c)).toHaveLength(max);
    expect(await requestMessages(c)).toHaveLength(max);
    v.clock.advance(601_000);
    expect((await ask(late, c.handle)).status).toBe(200);
  });
});
