import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, rowsOf } from '../support/rows.ts';

// Issue 15: typed records that one company deposits become the customer's, and another company granted
// them reads them with their provenance; the customer sees, hides and deletes them.

let v: RunningVault;
let shopA: RegisteredCompany;
let shopB: RegisteredCompany;
let maker: RegisteredCompany;
let alice: Customer;
let bob: Customer;
let aTokens: { access_token: string; grant_id: string };
let bTokens: { access_token: string; grant_id: string };

const PURCHASES_12M = { categories: ['purchases'], window: 'P12M', sources: 'any' };
const DAY = 86_400_000;

const purchase = (n: number, time: string) => ({
  merchant: 'Shop A',
  items: [{ name: `Walking boots size ${40 + n}`, quantity: 1, price: 89.5 }],
  total: 89.5,
  currency: 'EUR',
  time,
  orderReference: `A-${1000 + n}`,
});

const count = () => countOf(v, 'select count(*) AS n from records');
const events = async (action: string, companyId: string) =>
  (
    await rowsOf<{ body: string }>(
      v,
      'select body from audit_events where action = ? and company_id = ? order by seq',
      action,
      companyId,
    )
  ).map((r) => JSON.parse(r.body));

async function deposit(token: string, body: object, handle = alice.handle, headers: Record<string, string> = {}) {
  const res = await fetch(`${v.url}/data/customers/${handle}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json().catch(() => undefined) };
}

async function read(token: string, query = '', handle = alice.handle) {
  const res = await fetch(`${v.url}/data/customers/${handle}/records${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const [type, challenge] = ['content-type', 'www-authenticate'].map((h) => res.headers.get(h));
  return { status: res.status, type, challenge, body: await res.json().catch(() => undefined) };
}

beforeAll(async () => {
  v = await startVault();
  shopA = await registerCompany(v, { name: 'Shop A Boots' });
  shopB = await registerCompany(v, { name: 'Shop B Outdoor' });
  maker = await registerCompany(v, {
    name: 'Brushco',
    terms: {
      purposes: ['customer-support'],
      retentionDays: 90,
      benefit: { kind: 'service', description: 'reminders' },
      valueTags: [],
    },
  });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
  aTokens = await obtainTokens(v, shopA, alice, { fields: ['purchase_history'], actions: ['deposit'] });
  bTokens = await obtainTokens(v, shopB, alice, { fields: ['email'], actions: ['read'], records: PURCHASES_12M });
});
afterAll(async () => v.close());

describe('typed records shared across companies', () => {
  let ids: string[] = [];

  it('when shop A deposits three purchases and retries one, then three are stored and the retry answers the same', async () => {
    const now = v.clock.now().getTime();
    const first = await deposit(
      aTokens.access_token,
      { category: 'purchases', content: purchase(1, iso(now - 60 * DAY)) },
      undefined,
      {
        'idempotency-key': 'order-A-1001',
      },
    );
    expect(first.status).toBe(201);
    const retry = await deposit(
      aTokens.access_token,
      { category: 'purchases', content: purchase(1, iso(now - 60 * DAY)) },
      undefined,
      {
        'idempotency-key': 'order-A-1001',
      },
    );
    expect(retry).toEqual(first);
    v.clock.advance(1000);
    const second = await deposit(aTokens.access_token, {
      category: 'purchases',
      content: purchase(2, iso(now - 20 * DAY)),
      idempotencyKey: 'order-A-1002',
    });
    v.clock.advance(1000);
    const third = await deposit(aTokens.access_token, {
      category: 'purchases',
      content: purchase(3, iso(now - 10 * DAY)),
    });
    expect([second.status, third.status]).toEqual([201, 201]);
    ids = [first.body.id, second.body.id, third.body.id];
    expect(await count()).toBe(3);
    expect(await events('data.deposit', shopA.clientId)).toHaveLength(3);
  });

  it('when the same idempotency key comes with other content, then 409 and nothing more is stored', async () => {
    const r = await deposit(
      aTokens.access_token,
      { category: 'purchases', content: purchase(9, iso(v.clock.now().getTime())) },
      undefined,
      {
        'idempotency-key': 'order-A-1001',
      },
    );
    expect(r.status).toBe(409);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(await count()).toBe(3);
  });

  it('when the customer opens their records, then they see the three purchases in words with shop A as source', async () => {
    const r = await alice.call('GET', '/api/records');
    expect(r.status).toBe(200);
    expect(r.body.records).toHaveLength(3);
    for (const rec of r.body.records) {
      expect(rec).toMatchObject({ category: 'purchases', source: { company: shopA.clientId, name: 'Shop A Boots' } });
      expect(rec.description).toMatch(/^1 item bought from Shop A on \d{4}-\d\d-\d\d for 89.5 EUR$/);
      expect(rec.readers).toEqual(['Shop B Outdoor']);
    }
  });

  it('when shop B, granted purchases of the last 12 months from every source, reads, then it gets the three with provenance that verifies against /jwks.json', async () => {
    const r = await read(bTokens.access_token);
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json; charset=utf-8');
    expect(r.body.records.map((x: { id: string }) => x.id)).toEqual([...ids].reverse());
    const jwks = createLocalJWKSet(await (await fetch(`${v.url}/jwks.json`)).json());
    for (const rec of r.body.records) {
      expect(rec.source).toEqual({ company: shopA.clientId, name: 'Shop A Boots' });
      const { payload, protectedHeader } = await compactVerify(rec.provenance, jwks);
      expect(protectedHeader.typ).toBe('record-provenance+jwt');
      const claims = JSON.parse(new TextDecoder().decode(payload));
      const digest = `sha-256:${createHash('sha256').update(canonicalize(rec.content)!).digest('base64url')}`;
      expect(rec.digest).toBe(digest);
      expect(claims).toMatchObject({
        record: rec.id,
        sub: alice.handle,
        category: 'purchases',
        digest,
        source: { company: shopA.clientId, name: 'Shop A Boots' },
        grant: aTokens.grant_id,
        depositedAt: rec.depositedAt,
      });
    }
    const [e] = (await events('data.read', shopB.clientId)).slice(-1);
    expect(e.detail).toMatchObject({
      records: 3,
      recordIds: [...ids].reverse().join(','),
      recordSources: shopA.clientId,
    });
  });

  it('when the customer hides one, then shop B reads two, and showing it again shares it again', async () => {
    expect((await alice.call('PUT', `/api/records/${ids[1]}/hidden`, { hidden: true })).status).toBe(204);
    expect((await read(bTokens.access_token)).body.records.map((x: { id: string }) => x.id)).toEqual([ids[2], ids[0]]);
    expect(await events('record.hidden', shopA.clientId)).toHaveLength(1);
    expect((await alice.call('PUT', `/api/records/${ids[1]}/hidden`, { hidden: false })).status).toBe(204);
    expect((await read(bTokens.access_token)).body.records).toHaveLength(3);
  });

  it('when the customer never shares records from shop A, then shop B reads none of them, and again once lifted', async () => {
    expect((await alice.call('PUT', '/api/criteria', { recordsNeverFrom: [shopA.clientId] })).status).toBe(200);
    const r = await read(bTokens.access_token);
    expect([r.status, r.body.records]).toEqual([200, []]);
    expect((await alice.call('PUT', '/api/criteria', {})).status).toBe(200);
    expect((await read(bTokens.access_token)).body.records).toHaveLength(3);
  });

  it('when a purchase happened before the grant window, then it is kept but not returned', async () => {
    const old = await deposit(aTokens.access_token, {
      category: 'purchases',
      content: purchase(4, iso(v.clock.now().getTime() - 400 * DAY)),
    });
    expect(old.status).toBe(201);
    expect((await alice.call('GET', '/api/records')).body.records).toHaveLength(4);
    const r = await read(bTokens.access_token);
    expect(r.body.records.map((x: { id: string }) => x.id)).not.toContain(old.body.id);
    expect(r.body.records).toHaveLength(3);
  });

  it('when reading page by page, then the cursor walks newest first without repeats', async () => {
    const p1 = await read(bTokens.access_token, '?limit=2');
    expect(p1.body.records).toHaveLength(2);
    const p2 = await read(bTokens.access_token, `?limit=2&cursor=${p1.body.next}`);
    expect([...p1.body.records, ...p2.body.records].map((x: { id: string }) => x.id)).toEqual([...ids].reverse());
    const since = await read(bTokens.access_token, `?since=${encodeURIComponent(p1.body.records[0].depositedAt)}`);
    expect(since.body.records.map((x: { id: string }) => x.id)).toEqual([ids[2]]);
  });
});

describe('bad input and refusals, each audited and storing nothing', () => {
  it.each([
    ['outside the grant categories', 'devices', 403],
    ['not matching its schema', 'purchases', 400],
  ])('when a deposit is %s, then %s… is refused', async (_what, category, status) => {
    const before = await count();
    const r = await deposit(aTokens.access_token, { category, content: { order: 'A-1' } });
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(await count()).toBe(before);
  });

  it('when a deposit is over the size limit, then 4xx problem and nothing is stored', async () => {
    const before = await count();
    const big = {
      ...purchase(5, iso(v.clock.now().getTime())),
      items: [{ name: 'x'.repeat(200), quantity: 1, price: 1 }],
    };
    const r = await deposit(aTokens.access_token, {
      category: 'purchases',
      content: { ...big, pad: 'y'.repeat(17_000) },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(await count()).toBe(before);
  });

  it('when a grant without the deposit action deposits, then 403 DEPOSIT_NOT_GRANTED, audited', async () => {
    const before = await count();
    const r = await deposit(bTokens.access_token, {
      category: 'purchases',
      content: purchase(6, iso(v.clock.now().getTime())),
    });
    expect(r.status).toBe(403);
    expect(r.body.reasons.map((x: { code: string }) => x.code)).toEqual(['DEPOSIT_NOT_GRANTED']);
    expect(await count()).toBe(before);
    expect((await events('data.denied', shopB.clientId)).at(-1).reasons[0].code).toBe('DEPOSIT_NOT_GRANTED');
  });

  it("when a deposit names another customer's vault, then 404, nothing stored, audited", async () => {
    const before = await count();
    const r = await deposit(
      aTokens.access_token,
      { category: 'purchases', content: purchase(7, iso(v.clock.now().getTime())) },
      bob.handle,
    );
    expect(r.status).toBe(404);
    expect(await count()).toBe(before);
    expect((await events('data.denied', shopA.clientId)).at(-1).reasons[0].code).toBe('NOT_THIS_CUSTOMER');
  });

  it.each([
    ['a category outside the grant', '?category=devices', 'RECORDS_NOT_GRANTED'],
    ['a time before the window', `?since=${encodeURIComponent(iso(Date.now() - 500 * DAY))}`, 'OUTSIDE_WINDOW'],
  ])('when a read asks for %s, then 403 and audited', async (_what, query, code) => {
    const r = await read(bTokens.access_token, query);
    expect(r.status).toBe(403);
    expect(r.body.records).toBeUndefined();
    expect(r.challenge).toMatch(/^Bearer realm="vault", error="insufficient_scope", /);
    expect((await events('data.denied', shopB.clientId)).at(-1).reasons[0].code).toBe(code);
  });

  it('when a grant names chosen sources, then a read of another source is refused and its records are not returned', async () => {
    const c = await new Customer(v.url).signUp(uniqueEmail('carol'));
    const t = await obtainTokens(v, shopB, c, {
      fields: ['email'],
      records: { categories: ['purchases'], window: 'P12M', sources: [maker.clientId] },
    });
    const r = await read(t.access_token, `?source=${shopA.clientId}`, c.handle);
    expect(r.status).toBe(403);
    expect((await events('data.denied', shopB.clientId)).at(-1).reasons[0].code).toBe('OUTSIDE_SOURCES');
  });

  it('when the customer narrows the window and sources at consent, then the grant keeps the narrower ones, and a wider one is refused', async () => {
    const t = await obtainTokens(v, shopB, alice, {
      fields: ['email'],
      records: PURCHASES_12M,
      approve: { records: { window: 'P1M', sources: [shopA.clientId] } },
    });
    // The purchase of 60 days ago is outside the narrowed window of one month.
    const r = await read(t.access_token);
    expect(r.status).toBe(200);
    expect(r.body.records.every((x: { source: { company: string } }) => x.source.company === shopA.clientId)).toBe(
      true,
    );
    expect(r.body.records.length).toBeLessThan(3);
    await expect(
      obtainTokens(v, shopB, alice, {
        fields: ['email'],
        records: PURCHASES_12M,
        approve: { records: { window: 'P2Y' } },
      }),
    ).rejects.toThrow(/consent failed: 403/);
  });
});

describe('devices and blocked companies', () => {
  it('when a device record carries "needs service", then the customer reads it in the inbox in words', async () => {
    const t = await obtainTokens(v, maker, alice, {
      fields: ['devices'],
      actions: ['deposit'],
      purpose: 'customer-support',
    });
    const r = await deposit(t.access_token, {
      category: 'devices',
      content: {
        product: 'toothbrush',
        maker: 'Brushco',
        serial: 'BC-123',
        purchased: '2026-01-02',
        events: [{ kind: 'needs_service', at: iso(v.clock.now().getTime()) }],
      },
    });
    expect(r.status).toBe(201);
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages;
    expect(inbox.map((m: { body: { text: string } }) => m.body.text)).toContain(
      'Your toothbrush by Brushco needs service',
    );
    expect(await countOf(v, "select count(*) AS n from inbox where body like '%toothbrush%'")).toBe(0);
  });

  it('when a grant covers purchases and devices, then one read returns both newest first, and ?category narrows it', async () => {
    const shopC = await registerCompany(v, {
      name: 'Shop C Both',
      terms: {
        purposes: ['customer-support'],
        retentionDays: 90,
        benefit: { kind: 'service', description: 'repairs' },
        valueTags: [],
      },
    });
    const both = { categories: ['purchases', 'devices'], window: 'P12M', sources: 'any' };
    const t = await obtainTokens(v, shopC, alice, {
      fields: ['email'],
      actions: ['read'],
      records: both,
      purpose: 'customer-support',
    });
    const all = await read(t.access_token);
    const purchases = await read(t.access_token, '?category=purchases');
    const devices = await read(t.access_token, '?category=devices');
    expect([all.status, purchases.status, devices.status]).toEqual([200, 200, 200]);
    type Rec = { id: string; category: string; depositedAt: string };
    const ids = (b: { records: Rec[] }) => b.records.map((r) => r.id);
    expect(new Set(all.body.records.map((r: Rec) => r.category))).toEqual(new Set(['purchases', 'devices']));
    expect(purchases.body.records.every((r: Rec) => r.category === 'purchases')).toBe(true);
    expect(devices.body.records.map((r: Rec) => r.category)).toEqual(['devices']);
    expect(new Set(ids(all.body))).toEqual(new Set([...ids(purchases.body), ...ids(devices.body)]));
    const times = all.body.records.map((r: Rec) => r.depositedAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('when the customer blocks a company, then it can neither read nor deposit, each refusal audited, and its deposits stay', async () => {
    const before = await count();
    const put = await alice.call('PUT', '/api/criteria', { blockedCompanies: [shopA.clientId, shopB.clientId] });
    expect(put.status).toBe(200);
    const deniedA = (await events('data.denied', shopA.clientId)).length;
    const deniedB = (await events('data.denied', shopB.clientId)).length;
    const d = await deposit(aTokens.access_token, {
      category: 'purchases',
      content: purchase(8, iso(v.clock.now().getTime())),
    });
    expect(d.status).toBe(401);
    const r = await read(bTokens.access_token);
    expect(r.status).toBe(401);
    expect(r.body.records).toBeUndefined();
    expect(await count()).toBe(before);
    expect(await events('data.denied', shopA.clientId)).toHaveLength(deniedA + 1);
    expect(await events('data.denied', shopB.clientId)).toHaveLength(deniedB + 1);
  });

  it('when the customer deletes a record, then its sealed row is gone and the audit keeps only that it existed', async () => {
    const list = (await alice.call('GET', '/api/records')).body.records;
    const victim = list[0];
    expect((await alice.call('DELETE', `/api/records/${victim.id}`)).status).toBe(204);
    expect(await countOf(v, 'select count(*) AS n from records where id = ?', victim.id)).toBe(0);
    const [e] = await events('record.deleted', victim.source.company);
    expect(e.detail).toEqual({ recordId: victim.id, category: victim.category });
    expect((await alice.call('DELETE', `/api/records/${victim.id}`)).status).toBe(404);
  });
});

function iso(ms: number) {
  return new Date(ms).toISOString();
}
