import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { defaultTerms, details, form, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

let v: RunningVault;
let brushco: RegisteredCompany;
let alice: Customer;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

beforeAll(async () => {
  v = await startVault();
  brushco = await registerCompany(v, { name: 'Brushco', product: 'toothbrush' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
});
afterAll(async () => v.close());

const ask = (c: RegisteredCompany = brushco) =>
  form(
    `${v.url}/device_authorization`,
    { authorization_details: details(['devices'], 'customer-support', 'P90D', ['deposit', 'read']) },
    { authorization: c.basic() },
  );
const poll = (deviceCode: string, c: RegisteredCompany = brushco) =>
  form(`${v.url}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode }, { authorization: c.basic() });
/** The device waits its interval before the next poll (the injected clock, no sleeping). */
const wait = (s: number) => v.clock.advance(s * 1000);

export const record = {
  product: 'Brushco Sonic 3',
  maker: 'Brushco',
  serial: 'BC3-0042',
  purchased: '2026-01-15',
  events: [{ kind: 'needs_service', at: '2026-11-29T08:00:00Z', note: 'Replace the brush head' }],
};

describe('connected products: the device authorization grant (RFC 8628)', () => {
  it('when asked, then the metadata advertises the device endpoint and grant type', async () => {
    const m = await (await fetch(`${v.url}/.well-known/oauth-authorization-server`)).json();
    expect(m.device_authorization_endpoint).toBe(`${v.url}/device_authorization`);
    expect(m.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('when the device asks, then it gets the codes of RFC 8628 §3.2 and polling says authorization_pending', async () => {
    const r = await ask();
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ verification_uri: `${v.url}/connect`, expires_in: 600, interval: 5 });
    expect(r.body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(r.body.verification_uri_complete).toBe(`${v.url}/connect?code=${r.body.user_code}`);
    const p = await poll(r.body.device_code);
    expect(p.status).toBe(400);
    expect(p.body.error).toBe('authorization_pending');
  });

  it('when the customer enters the code and approves, then the device gets a deposit-only token and deposits', async () => {
    const r = await ask();
    const entered = await alice.call('POST', '/api/device', { code: r.body.user_code.toLowerCase() });
    expect(entered.status).toBe(200);
    expect(entered.body.status).toBe('pending');
    const view = (await alice.call('GET', `/api/consent/${entered.body.request}`)).body;
    expect(view).toMatchObject({ mode: 'device', company: { name: 'Brushco', product: 'toothbrush' } });
    expect(view.request.purpose).toBe('customer-support');
    expect((await poll(r.body.device_code)).body.error).toBe('authorization_pending');
    const ok = await alice.call('POST', `/api/consent/${entered.body.request}`, {
      decision: 'approve',
      termsVersion: 1,
    });
    expect(ok.status).toBe(200);
    wait(5);
    const t = await poll(r.body.device_code);
    expect(t.status).toBe(200);
    const grant = (await alice.call('GET', '/api/grants')).body.grants.find(
      (g: { id: string }) => g.id === t.body.grant_id,
    );
    expect(grant.actions).toEqual(['deposit']);
    const approved = await countOf(
      v,
      `SELECT count(*) AS n FROM audit_events WHERE action = 'grant.approved' AND grant_id = ?`,
      t.body.grant_id,
    );
    expect(approved).toBe(1);
    expect(grant.company).toMatchObject({
      name: 'Brushco',
      product: 'toothbrush',
      label: 'Your toothbrush, by Brushco',
    });
    const dep = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.body.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'devices', content: record }),
    });
    expect(dep.status).toBe(201);
    const read = await fetch(`${v.url}/data/customers/${alice.handle}`, {
      headers: { authorization: `Bearer ${t.body.access_token}` },
    });
    expect(read.status).toBe(403);
    wait(5);
    expect((await poll(r.body.device_code)).body.error).toBe('invalid_grant');
  });

  it('when the device polls sooner than its interval, then slow_down raises the interval by 5 s for good', async () => {
    const r = await ask();
    expect((await poll(r.body.device_code)).body.error).toBe('authorization_pending');
    const slow = await poll(r.body.device_code);
    expect(slow.status).toBe(400);
    expect(slow.body).toMatchObject({ error: 'slow_down', interval: 10 });
    wait(5);
    expect((await poll(r.body.device_code)).body).toMatchObject({ error: 'slow_down', interval: 15 });
    wait(15);
    expect((await poll(r.body.device_code)).body.error).toBe('authorization_pending');
  });

  it('when the code expires before the customer answers, then polling says expired_token and the code is refused', async () => {
    const r = await ask();
    wait(601);
    expect((await poll(r.body.device_code)).body.error).toBe('expired_token');
    const entered = await alice.call('POST', '/api/device', { code: r.body.user_code });
    expect(entered.status).toBe(400);
    expect(entered.body.detail).toBe(
      'That code is not valid. Check the code your product shows, or ask the product for a new one.',
    );
  });

  it('when the customer denies, then polling says access_denied and the denial is audited', async () => {
    const r = await ask();
    const entered = await alice.call('POST', '/api/device', { code: r.body.user_code });
    await alice.call('POST', `/api/consent/${entered.body.request}`, { decision: 'deny' });
    expect((await poll(r.body.device_code)).body.error).toBe('access_denied');
    const denied = await countOf(
      v,
      `SELECT count(*) AS n FROM audit_events WHERE action = 'grant.denied' AND customer_id = ?`,
      alice.id,
    );
    expect(denied).toBeGreaterThan(0);
  });

  it('when a code is wrong, used or never issued, then the answer is the same and says nothing of which', async () => {
    const r = await ask();
    const first = await alice.call('POST', '/api/device', { code: r.body.user_code });
    expect(first.status).toBe(200);
    const bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
    const used = await bob.call('POST', '/api/device', { code: r.body.user_code });
    const never = await bob.call('POST', '/api/device', { code: 'BBBB-BBBB' });
    const garbage = await bob.call('POST', '/api/device', { code: 'not a code' });
    for (const x of [used, never, garbage]) {
      expect(x.status).toBe(400);
      expect(x.headers.get('content-type')).toContain('application/problem+json');
      expect(x.body.detail).toBe(used.body.detail);
    }
  });

  it('when a session keeps guessing, then the 6th wrong code in 15 minutes is refused with 429', async () => {
    const mallory = await new Customer(v.url).signUp(uniqueEmail('mallory'));
    for (let i = 0; i < 5; i++)
      expect((await mallory.call('POST', '/api/device', { code: 'BBBB-BBB' + 'CDFGH'[i] })).status).toBe(400);
    const r = await ask();
    const blocked = await mallory.call('POST', '/api/device', { code: r.body.user_code });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('900');
  });

  it('when the product is a DPoP client, then polling without a proof is refused and the approval is not used up', async () => {
    const dpopCo = await registerCompany(v, { name: 'DPoP Brushco', product: 'toothbrush', dpop: true });
    const kp = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(kp.publicKey);
    const proof = () =>
      new SignJWT({
        htm: 'POST',
        htu: `${v.url}/token`,
        jti: randomUUID(),
        iat: Math.floor(v.clock.now().getTime() / 1000),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(kp.privateKey);
    const r = await ask(dpopCo);
    const entered = await alice.call('POST', '/api/device', { code: r.body.user_code });
    await alice.call('POST', `/api/consent/${entered.body.request}`, { decision: 'approve', termsVersion: 1 });
    expect((await poll(r.body.device_code, dpopCo)).body.error).toBe('invalid_dpop_proof');
    wait(5);
    const withProof = await form(
      `${v.url}/token`,
      { grant_type: DEVICE_GRANT, device_code: r.body.device_code },
      { authorization: dpopCo.basic(), dpop: await proof() },
    );
    expect(withProof.status).toBe(200);
    expect(withProof.body.token_type).toBe('DPoP');
  });

  it('when the customer has blocked the maker, then entering the code refuses it at once and the device is told access_denied', async () => {
    const pest = await registerCompany(v, { name: 'Pest Devices', product: 'doorbell' });
    await alice.call('PUT', '/api/criteria', { blockedCompanies: [pest.clientId] });
    const r = await ask(pest);
    const entered = await alice.call('POST', '/api/device', { code: r.body.user_code });
    expect(entered.status).toBe(200);
    expect(entered.body.status).toBe('denied');
    expect((await poll(r.body.device_code, pest)).body.error).toBe('access_denied');
    await alice.call('PUT', '/api/criteria', {});
  });

  it('when the customer entered a code and left the consent screen, then the request waits in their list', async () => {
    const r = await ask();
    const entered = await alice.call('POST', '/api/device', { code: r.body.user_code });
    const waiting = (await alice.call('GET', '/api/requests')).body.requests;
    expect(waiting.find((x: { id: string }) => x.id === entered.body.request)).toMatchObject({
      mode: 'device',
      company: { name: 'Brushco', product: 'toothbrush' },
    });
    await alice.call('POST', `/api/consent/${entered.body.request}`, { decision: 'deny' });
  });

  it('when device codes are an hour past their expiry, then the sweeper purges them', async () => {
    const count = () => countOf(v, 'SELECT count(*) AS n FROM device_codes');
    await ask();
    expect(await count()).toBeGreaterThan(0);
    wait(600 + 3600 + 1);
    await v.vault.sweep();
    expect(await count()).toBe(0);
  });

  /** Registers a client asking for the device grant, with `more` metadata; the 201 answer's body. */
  async function registerAsking(name: string, more: Record<string, unknown>) {
    const iat = await v.vault.services.companies.issueInitialAccessToken('test');
    const res = await fetch(`${v.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
      body: JSON.stringify({
        client_name: name,
        redirect_uris: [`https://${name.toLowerCase().replace(/ /g, '-')}.example/cb`],
        grant_types: ['authorization_code', DEVICE_GRANT],
        terms: { ...JSON.parse(JSON.stringify(defaultTerms)) },
        ...more,
      }),
    });
    expect(res.status).toBe(201);
    return res.json();
  }

  it('when a maker registers a device client, then the registration echoes its product and grant type', async () => {
    const body = await registerAsking('Carco', { product_name: 'car' });
    expect(body).toMatchObject({ client_name: 'Carco', product_name: 'car' });
    expect(body.grant_types).toContain(DEVICE_GRANT);
    // Read back (RFC 7592) it says the same.
    const read = await fetch(body.registration_client_uri, {
      headers: { authorization: `Bearer ${body.registration_access_token}` },
    });
    expect((await read.json()).grant_types).toContain(DEVICE_GRANT);
  });

  it('when a client without a product_name registers, then its registration does not list the device grant it cannot start', async () => {
    const body = await registerAsking('Grantlist Bakery', {});
    expect(body.grant_types).toEqual([
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:openid:params:grant-type:ciba',
    ]);
    // and /device_authorization refuses it (the test above).
  });

  it('when the platform policy refuses what the device asks, then it is 400 access_denied (RFC 8628 §3.2) and nothing is stored', async () => {
    const codes = () => countOf(v, 'SELECT count(*) AS n FROM device_codes');
    const before = await codes();
    const r = await form(
      `${v.url}/device_authorization`,
      { authorization_details: details(['devices'], 'resale', 'P90D', ['deposit']) },
      { authorization: brushco.basic() },
    );
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body.error).toBe('access_denied');
    expect(r.body.reasons).toEqual([expect.objectContaining({ code: 'FORBIDDEN_PURPOSE', source: 'platform' })]);
    expect(await codes()).toBe(before);
  });

  it('when a client without a product asks, then it is unauthorized_client', async () => {
    const shop = await registerCompany(v, { name: 'Plain Shop' });
    const r = await ask(shop);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unauthorized_client');
  });
});

describe('connected products: brute force on user codes', () => {
  it('when sessions from one address keep guessing, then the 21st wrong code in 15 minutes is refused with 429', async () => {
    const w = await startVault();
    try {
      const guessers = await Promise.all(
        [1, 2, 3, 4, 5].map((i) => new Customer(w.url).signUp(uniqueEmail(`guesser${i}`))),
      );
      for (let i = 0; i < 20; i++)
        expect((await guessers[i % 5]!.call('POST', '/api/device', { code: 'BBBB-BBBB' })).status).toBe(400);
      const fresh = await new Customer(w.url).signUp(uniqueEmail('guesser6'));
      expect((await fresh.call('POST', '/api/device', { code: 'BBBB-BBBB' })).status).toBe(429);
    } finally {
      await w.close();
    }
  });
});
