import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managementToken } from '../benefits/support.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

// The dashboard's API answers hold the customer's decrypted profile, their whole export and the session's CSRF
// token: no browser or shared cache may keep them (RFC 9111 §5.2.2.5), or they outlive sign-out on the disk of a
// shared computer.
let v: RunningVault;
let alice: Customer;
beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56' });
});
afterAll(async () => v.close());

describe('private answers are never stored by a cache', () => {
  it.each([
    '/api/session',
    '/api/profile',
    '/api/export',
    '/api/grants',
    '/api/inbox',
    '/api/criteria',
    '/api/reads',
    '/api/benefits',
    '/api/deletions',
    '/api/receipts',
    '/api/requests',
  ])('when the customer fetches %s, then the answer says no-store', async (path) => {
    const r = await alice.call('GET', path);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('when a company fetches its grant-management API, then the answer says no-store', async () => {
    const shop = await registerCompany(v);
    const token = await managementToken(v, shop);
    for (const path of ['/company/grants', '/company/deletions', '/company/receipts']) {
      const r = await fetch(v.url + path, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
  });
});
