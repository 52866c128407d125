import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

// GET /data/customers/{handle} is served by its own hot path (server/data/routes.ts); a trailing slash or
// an escaped character in the path is routed by express to the same read. Both must behave the same.
let v: RunningVault;
let alice: Customer;
let token: string;
const reads = () => countOf(v, "select count(*) AS n from audit_events where action = 'data.read'");

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 11 22 33', city: 'Ghent' });
  token = (await obtainTokens(v, await registerCompany(v), alice, { fields: ['phone', 'city'] })).access_token;
});
afterAll(async () => v.close());

const get = (path: string, auth = `Bearer ${token}`) => fetch(v.url + path, { headers: { authorization: auth } });
const HEADERS = [
  'content-type',
  'cache-control',
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
  'x-frame-options',
];

describe('the company read, on its hot path and through express', () => {
  it('when the same read is made on both paths, then the body and the headers that matter are the same, and each is audited', async () => {
    const before = await reads();
    const fast = await get(`/data/customers/${alice.handle}?fields=city`);
    const routed = await get(`/data/customers/${alice.handle}/?fields=city`);
    expect(fast.status).toBe(200);
    expect(routed.status).toBe(200);
    const [a, b] = [await fast.json(), await routed.json()];
    expect(a).toEqual(b);
    expect(a.fields).toEqual({ city: 'Ghent' });
    for (const h of HEADERS) expect(fast.headers.get(h), h).toBe(routed.headers.get(h));
    expect(fast.headers.get('cache-control')).toBe('no-store');
    expect(fast.headers.get('x-request-id')).not.toBe(routed.headers.get('x-request-id'));
    // Neither answer carries an ETag: it would be a fingerprint of the personal data in the body.
    expect([fast.headers.get('etag'), routed.headers.get('etag')]).toEqual([null, null]);
    expect(await reads()).toBe(before + 2);
  });

  it.each([
    ['no token', undefined, `/data/customers/HANDLE`, 401],
    ['a malformed handle', 'ok', '/data/customers/not-a-handle', 400],
    ['an unknown query parameter', 'ok', '/data/customers/HANDLE?debug=1', 400],
    ['a repeated fields parameter', 'ok', '/data/customers/HANDLE?fields=city&fields=phone', 400],
    ['a field outside the grant', 'ok', '/data/customers/HANDLE?fields=email', 403],
    // A name outside the catalogue could be a personal value: refused before the read, never audited or echoed.
    ['a field name outside the catalogue', 'ok', '/data/customers/HANDLE?fields=city,%ff', 400],
    ['a personal value as a field name', 'ok', '/data/customers/HANDLE?fields=alice.secret%40example.test', 400],
  ])('when the read has %s, then both paths give the same problem', async (_what, auth, path, status) => {
    const p = path.replace('HANDLE', alice.handle);
    const withSlash = p.includes('?') ? p.replace('?', '/?') : `${p}/`;
    const authz = auth ? `Bearer ${token}` : '';
    const [fast, routed] = [await get(p, authz), await get(withSlash, authz)];
    expect([fast.status, routed.status]).toEqual([status, status]);
    expect(fast.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(fast.headers.get('www-authenticate')).toBe(routed.headers.get('www-authenticate'));
    const [a, b] = [await fast.json(), await routed.json()];
    expect({ ...a, instance: undefined }).toEqual({ ...b, instance: undefined });
    expect(a.instance).toBe(`urn:request:${fast.headers.get('x-request-id')}`);
  });

  it('when a company puts values into ?fields=, then nothing of them reaches the audit trail or the answer', async () => {
    const before = await countOf(v, 'select count(*) AS n from audit_events');
    for (const path of [
      `/data/customers/${alice.handle}?fields=alice.secret%40example.test`,
      `/data/customers/${alice.handle}/?fields=%3DHYPERLINK(%22x%22)`,
    ]) {
      const r = await get(path, `Bearer ${token}`);
      expect(r.status).toBe(400);
      const text = await r.text();
      expect(text).not.toContain('alice.secret');
      expect(text).not.toContain('HYPERLINK');
    }
    expect(await countOf(v, 'select count(*) AS n from audit_events')).toBe(before);
  });

  it('when the read is made with HEAD, then express serves it like the GET (checked and audited) and sends no body', async () => {
    const before = await reads();
    const res = await fetch(`${v.url}/data/customers/${alice.handle}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(await reads()).toBe(before + 1);
  });

  it.each([
    ['a crit header value outside ASCII', { alg: 'EdDSA', crit: ['x\u2713y'] }],
    [
      'a crit header value with a quote, a backslash and a line break',
      { alg: 'EdDSA', crit: ['a"b\\c\r\nSet-Cookie: x=1'] },
    ],
    ['a kid with control characters', { alg: 'EdDSA', kid: '\u0000\u0007\u001b[31m' }],
  ])(
    'when a token has %s, then both paths answer 401 problem+json with a clean WWW-Authenticate, and the server lives on',
    async (_what, header) => {
      const forged = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.AAAA`;
      for (const path of [`/data/customers/${alice.handle}`, `/data/customers/${alice.handle}/`]) {
        const res = await get(path, `Bearer ${forged}`);
        expect(res.status, path).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.headers.get('www-authenticate')).toMatch(
          /^Bearer realm="vault", error="invalid_token", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]*", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/data"$/,
        );
        expect(res.headers.get('set-cookie')).toBeNull();
        expect((await res.json()).status).toBe(401);
      }
      expect((await get(`/data/customers/${alice.handle}`)).status).toBe(200);
    },
  );
});
