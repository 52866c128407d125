import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { details, form, registerCompany } from '../support/company.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

describe('customer accounts over HTTP', () => {
  it('when a customer signs up, sets fields and reads them back, then the profile round-trips', async () => {
    const email = uniqueEmail();
    const c = await new Customer(v.url).signUp(email);
    expect(c.handle).toMatch(/^vh-[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect(c.cookie).toMatch(/^vault_session=/);

    const set = await c.call('PATCH', '/api/profile', {
      given_name: 'Ada',
      city: 'Ghent',
      interests: ['cycling', 'jazz'],
      household_size: 3,
    });
    expect(set.status).toBe(200);
    const got = await c.call('GET', '/api/profile');
    expect(got.status).toBe(200);
    expect(got.body.fields.given_name.value).toBe('Ada');
    expect(got.body.fields.given_name.category).toBe('identity');
    expect(got.body.fields.interests.value).toEqual(['cycling', 'jazz']);
    expect(got.body.fields.household_size.value).toBe(3);
    expect(got.body.fields.email.value).toBe(email.toLowerCase());

    const cleared = await c.call('PATCH', '/api/profile', { city: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.fields.city).toBeUndefined();

    // A fresh sign-in sees the same data.
    const again = new Customer(v.url);
    expect((await again.signIn(email)).status).toBe(200);
    expect((await again.call('GET', '/api/profile')).body.fields.given_name.value).toBe('Ada');
  });

  it('when a field is set twice, then its version goes up', async () => {
    const c = await new Customer(v.url).signUp(uniqueEmail());
    await c.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56' });
    const r = await c.call('PATCH', '/api/profile', { phone: '+32 470 65 43 21' });
    expect(r.body.fields.phone.version).toBe(2);
    expect(r.body.fields.phone.value).toBe('+32 470 65 43 21');
  });

  it('when the e-mail is unknown or the password wrong, then the same generic 401 is returned', async () => {
    const email = uniqueEmail();
    await new Customer(v.url).signUp(email);
    const wrong = await new Customer(v.url).signIn(email, 'not the right password');
    const unknown = await new Customer(v.url).signIn(uniqueEmail(), 'not the right password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.body.type).toBe(unknown.body.type);
  });

  it('when the same e-mail signs up twice, then the second gets 409 and no second account', async () => {
    const email = uniqueEmail();
    await new Customer(v.url).signUp(email);
    const r = await new Customer(v.url).call('POST', '/api/account', { email, password: 'another password 1' });
    expect(r.status).toBe(409);
  });

  it('when sign-in fails repeatedly for one address, then it is rate limited with 429 and Retry-After', async () => {
    const email = uniqueEmail();
    await new Customer(v.url).signUp(email);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await new Customer(v.url).signIn(email, 'wrong password ' + i)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const limited = await new Customer(v.url).signIn(email);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect(limited.body.type).toMatch(/too-many-requests$/);
  });

  it('when the failed sign-ins for one address come from several client addresses, then the five-failure limit is still per address', async () => {
    const email = uniqueEmail();
    await new Customer(v.url).signUp(email);
    const { port } = new URL(v.url);
    /** A sign-in sent from another loopback address, as a second machine of the attacker's would. */
    const signInFrom = (localAddress: string, password: string) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ email, password });
        const req = request(
          {
            host: '127.0.0.1',
            port: Number(port),
            method: 'POST',
            path: '/api/session',
            localAddress,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await signInFrom(`127.0.0.${2 + i}`, `wrong password ${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await signInFrom('127.0.0.9', 'correct horse battery staple')).toBe(429);
  });

  it('when a write comes without the CSRF token, then it is refused and nothing changes', async () => {
    const c = await new Customer(v.url).signUp(uniqueEmail());
    const csrf = c.csrf;
    c.csrf = '';
    const r = await c.call('PATCH', '/api/profile', { given_name: 'Mallory' });
    expect(r.status).toBe(403);
    expect(r.body.type).toMatch(/csrf-rejected$/);
    c.csrf = csrf;
    expect((await c.call('GET', '/api/profile')).body.fields.given_name).toBeUndefined();
  });

  it('when a write comes from another origin, then it is refused', async () => {
    const c = await new Customer(v.url).signUp(uniqueEmail());
    const r = await c.call('PATCH', '/api/profile', { given_name: 'Eve' }, { origin: 'https://evil.example' });
    expect(r.status).toBe(403);
  });

  it('when the customer signs out, then the old cookie no longer works', async () => {
    const c = await new Customer(v.url).signUp(uniqueEmail());
    const cookie = c.cookie;
    expect((await c.call('DELETE', '/api/session')).status).toBe(204);
    c.cookie = cookie;
    expect((await c.call('GET', '/api/profile')).status).toBe(401);
  });

  it('when the session cookie is set, then it is HttpOnly and SameSite', async () => {
    const r = await fetch(v.url + '/api/account', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail(), password: 'long enough password' }),
    });
    const set = r.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
  });

  it('when a customer exports, then the export holds the profile decrypted', async () => {
    const c = await new Customer(v.url).signUp(uniqueEmail());
    await c.call('PATCH', '/api/profile', { allergies: ['peanuts'] });
    const r = await c.call('GET', '/api/export');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toMatch(/attachment/);
    expect(r.body.profile.allergies.value).toEqual(['peanuts']);
    expect(r.body.account.handle).toBe(c.handle);
  });

  it('when a customer with messages and a request waiting exports, then the export holds the inbox and the pending request too', async () => {
    const c = await new Customer(v.url).signUp(uniqueEmail());
    const shop = await registerCompany(v, { name: 'Export Shop' });
    const asked = await form(
      `${v.url}/bc-authorize`,
      { login_hint: c.handle, authorization_details: details(['phone'], 'customer-support', 'P7D') },
      { authorization: shop.basic() },
    );
    expect(asked.status).toBe(200);
    const exp = (await c.call('GET', '/api/export')).body;
    expect(exp.inbox.map((m: { kind: string }) => m.kind)).toContain('request.pending');
    expect(exp.inbox[0].body.title).toBeTruthy();
    expect(exp.pendingRequests).toHaveLength(1);
    expect(exp.pendingRequests[0]).toMatchObject({ mode: 'backchannel', company: { name: 'Export Shop' } });
  });
});
