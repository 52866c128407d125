import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managementToken } from '../benefits/support.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
let data: string;
let mgmt: string;
let grantId: string;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v);
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  const t = await obtainTokens(v, shop, alice, {
    fields: ['email', 'purchase_history'],
    actions: ['read', 'deposit'],
    records: { categories: ['purchases'], window: 'P12M', sources: 'any' },
  });
  data = t.access_token;
  grantId = t.grant_id;
  mgmt = await managementToken(v, shop);
});
afterAll(async () => v.close());

/** Built once the grant exists, so the benefit bodies name a real grant. */
const hostile = (): unknown[] => [
  null,
  [],
  ['a'],
  'x',
  1e308,
  -1,
  true,
  { __proto__: { x: 1 } },
  { constructor: { prototype: { x: 1 } } },
  { a: 'x'.repeat(100_000) },
  { grant_id: [grantId], key: ['k'], kind: ['discount'] },
  { grant_id: grantId, key: 'k\u2028', kind: 'discount' },
  { grant_id: grantId, key: 'k', kind: 'payment', amount: '9999999999.9999', currency: 'BHD' },
  { grant_id: grantId, key: 'k2', kind: 'payment', amount: '1.5', currency: 'XXX' },
  { grant_id: grantId, key: 'k3', kind: 'payment', amount: '1', currency: 'toString' },
  { grant_id: grantId, key: 'k4', kind: 'payment', amount: '1', currency: '__proto__' },
  { kept: { fields: ['email'], until: '9999-12-31' } },
  { kept: { fields: ['email'], until: '2026-02-30' } },
  { kept: { fields: ['__proto__'], until: '2030-01-01T00:00:00+14:00' } },
  { hidden: 'true' },
  { answer: ['confirmed'] },
  { code: { toString: 1 } },
  { code: '\u0000\uffff' },
  { fields: ['email'], expiresAt: '+275760-09-13T00:00:00.000Z' },
  { expiresAt: '9999-12-31T23:59:59-23:59' },
  { expiresAt: '0000-01-01T00:00:00Z' },
  { actions: ['read', 'read'] },
  { category: 'purchases', content: { __proto__: null } },
  { category: 'purchases', content: { time: '2026-13-45', items: 'x' } },
  { category: 'purchases', content: {}, idempotencyKey: '\u00e9' },
  { category: 'toString', content: {} },
  { max: 'x', ack: [1] },
  { maxEvents: 1e9, ack: ['x'.repeat(5000)] },
];

const targets: { method: string; path: string; auth: () => Record<string, string> }[] = [
  { method: 'POST', path: '/company/benefits', auth: () => ({ authorization: `Bearer ${mgmt}` }) },
  {
    method: 'POST',
    path: '/company/deletions/00000000-0000-4000-8000-000000000000',
    auth: () => ({ authorization: `Bearer ${mgmt}` }),
  },
  { method: 'POST', path: '/company/events/poll', auth: () => ({ authorization: `Bearer ${mgmt}` }) },
  { method: 'POST', path: '/data/customers/HANDLE/records', auth: () => ({ authorization: `Bearer ${data}` }) },
  { method: 'POST', path: '/api/benefits/00000000-0000-4000-8000-000000000000/answer', auth: () => cust() },
  { method: 'PUT', path: '/api/records/00000000-0000-4000-8000-000000000000/hidden', auth: () => cust() },
  { method: 'PATCH', path: '/api/grants/GRANT', auth: () => cust() },
  { method: 'POST', path: '/api/device', auth: () => cust() },
  { method: 'POST', path: '/api/criteria/preview', auth: () => cust() },
  { method: 'PUT', path: '/api/criteria', auth: () => cust() },
  { method: 'POST', path: '/api/consent/zzz', auth: () => cust() },
  { method: 'PATCH', path: '/api/profile', auth: () => cust() },
];
const cust = () => ({ cookie: alice.cookie, 'x-csrf-token': alice.csrf });

describe('review: hostile JSON bodies on the newer endpoints', () => {
  it('never answers 5xx', async () => {
    const bad: string[] = [];
    for (const t of targets) {
      for (const body of hostile()) {
        const path = t.path.replace('HANDLE', alice.handle).replace('GRANT', grantId);
        const res = await fetch(v.url + path, {
          method: t.method,
          headers: { 'content-type': 'application/json', ...t.auth() },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        if (res.status >= 500)
          bad.push(`${t.method} ${t.path} ${JSON.stringify(body).slice(0, 80)} -> ${res.status} ${text.slice(0, 200)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('query strings on the company GET routes never answer 5xx', async () => {
    const bad: string[] = [];
    const qs = [
      '?since=0000-01-01T00:00:00Z',
      '?since=9999-12-31T23:59:59-23:59',
      '?cursor=' + Buffer.from(JSON.stringify({ createdAt: '2026-01-01T00:00:00Z', id: 'x' })).toString('base64url'),
      '?cursor=' + Buffer.from('{"createdAt":"+275760-01-01T00:00:00Z","id":1}').toString('base64url'),
      '?cursor=%00',
      '?category=purchases&category=purchases',
      '?category=,,,',
      '?category=__proto__',
      '?limit=1e3',
      '?limit=-0',
      '?source[]=x',
      '?source=%ED%A0%80',
      '?status[a]=b',
      '?fields=email&fields=email',
      '?fields[0]=email',
    ];
    const paths = [
      [`/data/customers/${alice.handle}/records`, data],
      [`/data/customers/${alice.handle}`, data],
      [`/data/customers/${alice.handle}/claims/age_over`, data],
      ['/company/deletions', mgmt],
      ['/company/grants', mgmt],
      ['/company/receipts', mgmt],
    ];
    for (const [p, tok] of paths)
      for (const q of qs) {
        const res = await fetch(v.url + p + q, { headers: { authorization: `Bearer ${tok}` } });
        if (res.status >= 500) bad.push(`${p}${q} -> ${res.status} ${(await res.text()).slice(0, 200)}`);
      }
    const cq = [
      '?company=%00',
      '?from=x&to=y',
      '?kind[]=a',
      '?from=9999-99-99',
      '?limit=99999999999999999999',
      '?company=a&company=b',
    ];
    for (const p of [
      '/api/reads',
      '/api/records',
      '/api/benefits',
      '/api/deletions',
      '/api/inbox',
      '/api/criteria/options',
      '/api/export',
      '/api/requests',
    ])
      for (const q of cq) {
        const res = await fetch(v.url + p + q, { headers: cust() });
        if (res.status >= 500) bad.push(`${p}${q} -> ${res.status} ${(await res.text()).slice(0, 200)}`);
      }
    expect(bad).toEqual([]);
  });
});
