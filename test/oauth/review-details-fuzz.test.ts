import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, pkce, REDIRECT, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v);
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
});
afterAll(async () => v.close());

const base = {
  type: 'customer_data',
  purpose: 'order-fulfilment',
  fields: ['email'],
  actions: ['read'],
  duration: 'P30D',
};
const shapes: unknown[] = [
  [{ ...base, fields: 'email' }],
  [{ ...base, fields: [['email']] }],
  [{ ...base, fields: [{ toString: 'x' }] }],
  [{ ...base, actions: 'read' }],
  [{ ...base, duration: 'P99999999999999999999D' }],
  [{ ...base, duration: 'P1000000Y' }],
  [{ ...base, duration: 'PT0S' }],
  [{ ...base, duration: 'P-1D' }],
  [{ ...base, duration: 12 }],
  [{ ...base, purpose: ['order-fulfilment'] }],
  [{ ...base, purpose: '__proto__' }],
  [{ ...base, purpose: 'constructor' }],
  [{ ...base, fields: ['__proto__'] }],
  [{ ...base, fields: ['constructor'] }],
  [{ ...base, fields: Array(10000).fill('email') }],
  [base, base],
  [base, { ...base, purpose: 'marketing' }],
  [
    {
      ...base,
      claims: [
        { name: 'age_over', value: 18 },
        { name: 'age_over', value: 21 },
      ],
    },
  ],
  [{ ...base, claims: [{ name: 'age_over', value: '18' }] }],
  [{ ...base, claims: [{ name: 'has_field', value: '__proto__' }] }],
  [{ ...base, claims: 'age_over' }],
  [{ ...base, claims: [{ name: 'country_in', value: ['EU', 'EU'] }] }],
  [{ type: 'customer_records', categories: ['purchases'], window: 'P12M', sources: 'any' }],
  [base, { type: 'customer_records', categories: ['__proto__'], window: 'P12M', sources: 'any' }],
  [base, { type: 'customer_records', categories: ['purchases'], window: 'P99999Y', sources: 'any' }],
  [base, { type: 'customer_records', categories: ['purchases'], window: 'P12M', sources: ['x'.repeat(10000)] }],
  [base, { type: 'customer_records', categories: ['purchases'], window: 'P12M', sources: {} }],
  [base, { type: 'customer_records' }, { type: 'customer_records' }],
  [{ type: '__proto__' }],
  {},
  'null',
  [null],
  [[]],
];

describe('review: hostile authorization_details at PAR, /authorize and back-channel', () => {
  it('never answers 5xx', async () => {
    const bad: string[] = [];
    for (const s of shapes) {
      const ad = typeof s === 'string' ? s : JSON.stringify(s);
      const p = pkce();
      const common = {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        authorization_details: ad,
      };
      const par = await form(`${v.url}/par`, common, { authorization: shop.basic() });
      if (par.status >= 500) bad.push(`par ${ad.slice(0, 100)} -> ${par.status}`);
      const bc = await form(
        `${v.url}/bc-authorize`,
        { login_hint: alice.handle, authorization_details: ad },
        { authorization: shop.basic() },
      );
      if (bc.status >= 500) bad.push(`bc ${ad.slice(0, 100)} -> ${bc.status}`);
      const q = new URLSearchParams(common).toString();
      const az = await alice.call('GET', `/authorize?${q}`);
      if (az.status >= 500) bad.push(`authorize ${ad.slice(0, 100)} -> ${az.status}`);
      if (par.status === 201) {
        const a2 = await alice.call(
          'GET',
          `/authorize?client_id=${encodeURIComponent(shop.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
        );
        if (a2.status >= 500) bad.push(`authorize par ${ad.slice(0, 100)} -> ${a2.status}`);
        const loc = a2.headers.get('location') ?? '';
        if (loc.startsWith('/consent')) {
          const id = new URL(loc, v.url).searchParams.get('request')!;
          const view = await alice.call('GET', `/api/consent/${id}`);
          if (view.status >= 500) bad.push(`consent view ${ad.slice(0, 100)} -> ${view.status}`);
          const ok = await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 1 });
          if (ok.status >= 500) bad.push(`approve ${ad.slice(0, 100)} -> ${ok.status} ${JSON.stringify(ok.body)}`);
        }
      }
    }
    const inbox = await alice.call('GET', '/api/inbox');
    if (inbox.status >= 500) bad.push(`inbox -> ${inbox.status}`);
    const grants = await alice.call('GET', '/api/grants');
    if (grants.status >= 500) bad.push(`grants -> ${grants.status}`);
    const reqs = await alice.call('GET', '/api/requests');
    if (reqs.status >= 500) bad.push(`requests -> ${reqs.status}`);
    const exp = await alice.call('GET', '/api/export');
    if (exp.status >= 500) bad.push(`export -> ${exp.status}`);
    expect(bad).toEqual([]);
  });
});
