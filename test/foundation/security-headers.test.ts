import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let tls: RunningVault;

beforeAll(async () => {
  v = await startVault();
  tls = await startVault({ env: { VAULT_PUBLIC_URL: 'https://vault.example' } });
});
afterAll(async () => {
  await v.close();
  await tls.close();
});

const csp = (h: Headers) =>
  Object.fromEntries(
    (h.get('content-security-policy') ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...vals]) => [k, vals.join(' ')]),
  );

describe('security headers', () => {
  it.each([
    '/healthz',
    '/api/me',
    '/data/customers/vh-aaaaa-bbbbb',
    '/no/such/page',
    '/.well-known/oauth-authorization-server',
  ])('when %s is fetched, then it carries the strict CSP and the other browser protections', async (path) => {
    const res = await fetch(v.url + path);
    const policy = csp(res.headers);
    expect(policy).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'frame-ancestors': "'none'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'form-action': "'self'",
    });
    expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('x-powered-by')).toBeNull();
    // Plain http (the local default) must not pin HSTS or upgrade requests.
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(policy['upgrade-insecure-requests']).toBeUndefined();
  });

  it('when the vault is published over https, then HSTS is sent and insecure sub-requests are upgraded', async () => {
    const res = await fetch(tls.url + '/healthz');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
    expect(csp(res.headers)).toHaveProperty('upgrade-insecure-requests');
  });

  it('when two requests are answered, then each gets its own request id, and an id the caller sends is never used', async () => {
    const [a, b] = await Promise.all([fetch(v.url + '/healthz'), fetch(v.url + '/healthz')]);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
    for (const given of ['trace-1234abcd', 'bad id with spaces']) {
      const id = (await fetch(v.url + '/healthz', { headers: { 'x-request-id': given } })).headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
