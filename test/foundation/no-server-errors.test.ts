import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let customer: Customer;
let auditor: Customer;
let shop: RegisteredCompany;
let token = '';

beforeAll(async () => {
  v = await startVault();
  customer = await new Customer(v.url).signUp(uniqueEmail());
  shop = await registerCompany(v);
  token = (await obtainTokens(v, shop, customer)).access_token;
  await v.vault.services.accounts.createAuditor({ email: 'fuzz-auditor@example.test', password: 'auditor passphrase' });
  auditor = new Customer(v.url);
  await auditor.signIn('fuzz-auditor@example.test', 'auditor passphrase');
});
afterAll(async () => v.close());

const bodies = ['', '{', 'null', '[]', '{"a":1}', 'a=b&a=c', 'grant_type=authorization_code&code=x', '\u0000\u0001'];
const types = ['application/json', 'application/x-www-form-urlencoded', 'text/plain'];
const paths = (): [string, string][] => [
  ['POST', '/token'],
  ['POST', '/par'],
  ['POST', '/introspect'],
  ['POST', '/revoke'],
  ['POST', '/bc-authorize'],
  ['POST', '/register'],
  ['PUT', '/register/unknown'],
  ['GET', '/register/unknown'],
  ['GET', '/authorize?client_id=%00&request_uri=x'],
  ['GET', `/authorize?client_id=${shop.clientId}&response_type=code&scope=%00`],
  ['GET', '/authorize?client_id[]=x'],
  ['GET', `/data/customers/${customer.handle}?fields=%00`],
  ['GET', `/data/customers/${customer.handle}?fields[]=a`],
  ['POST', `/data/customers/${customer.handle}/records`],
  ['GET', '/data/customers/x'],
  ['POST', '/api/consent/zzz'],
  ['GET', '/api/consent/%ff'],
  ['PATCH', '/api/grants/abc'],
  ['POST', '/api/inbox/x/read'],
  ['PUT', '/api/criteria'],
  ['PATCH', '/api/profile'],
  ['POST', '/api/account'],
  ['POST', '/api/session'],
  ['DELETE', '/api/account'],
  ['GET', '/api/audit/events?limit=-1'],
  ['GET', '/api/audit/events?from=yesterday'],
  ['GET', '/api/audit/export?format=xml'],
  ['GET', '/api/reads?before=abc'],
  ['GET', '/company/grants'],
  ['GET', '/company/receipts?grant_id=1'],
  ['GET', '/api/receipts/%zz'],
];

describe('no input makes the server fail', () => {
  it('when malformed bodies, content types and parameters hit every kind of endpoint as every kind of caller, then no answer is a 5xx', async () => {
    const failures: string[] = [];
    let n = 0;
    for (const [method, path] of paths())
      for (const body of bodies)
        for (const type of types)
          for (const who of [customer, auditor, undefined]) {
            const headers: Record<string, string> = { 'content-type': type };
            if (path.startsWith('/data') || path.startsWith('/company')) headers.authorization = `Bearer ${token}`;
            if (who) Object.assign(headers, { cookie: who.cookie, 'x-csrf-token': who.csrf });
            const r = await fetch(v.url + path, {
              method,
              headers,
              body: method === 'GET' ? undefined : body,
              redirect: 'manual',
            });
            await r.arrayBuffer();
            n++;
            if (r.status >= 500) failures.push(`${r.status} ${method} ${path} ${JSON.stringify(body)} ${type}`);
          }
    expect(n).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
  }, 120_000);
});
