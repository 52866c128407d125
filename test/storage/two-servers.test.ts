import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { SWEEP_LEASE_TTL_MS } from '../../server/db/sweep.ts';
import { createSqliteSharedState } from '../../server/db/shared/index.ts';
import { createSqliteRateCounters } from '../../server/db/shared/sqlite.ts';
import { RATE_COUNTER_RETAIN_MS } from '../../server/http/rate-store.ts';
import type { Db } from '../../server/db/connection.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { ON_POSTGRES } from '../support/test-database.ts';

/**
 * Two vault servers in front of one database (ARCHITECTURE.md, "State shared between servers"): one PostgreSQL
 * database in the PostgreSQL pass (the second vault finds the first's through the shared data dir), one SQLite
 * file otherwise (a test set-up only: one server per file in production). Nothing the servers must agree on lives
 * in one process.
 */
let a: RunningVault;
let b: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;

// Rate limits counted in the database, as PostgreSQL's servers do (SQLite's own servers count in memory).
const shared = (db: Db) => ({ ...createSqliteSharedState(db), rateCounters: createSqliteRateCounters(db) });
const sharedState = ON_POSTGRES ? {} : { shared };

/** One value from the shared database, on either back end. */
const scalar = async <T>(sql: string, ...params: unknown[]) =>
  (await rawStatement<{ v: T }>(a.ctx.backend, sql).get(...params))?.v;

beforeAll(async () => {
  a = await startVault(sharedState);
  // Behind one load balancer both servers have one public URL (the issuer and audience of every token).
  b = await startVault({ dataDir: a.dataDir, env: { VAULT_PUBLIC_URL: a.url }, ...sharedState });
  shop = await registerCompany(a, { name: 'Two Servers Shop' });
  alice = await new Customer(a.url).signUp(uniqueEmail('alice'));
  expect((await alice.call('PATCH', '/api/profile', { phone: '+32 470 00 00 01' })).status).toBe(200);
});
afterAll(async () => {
  await b.close({ keepData: true });
  await a.close();
});

const introspect = (v: RunningVault, token: string) =>
  form(`${v.url}/introspect`, { token }, { authorization: shop.basic() });

describe('the verified-token cache across servers', () => {
  it('when a company revokes its token on server A, then server B answers inactive on the very next request', async () => {
    const t = await obtainTokens(a, shop, alice, { fields: ['phone'] });
    // Server B has verified (and cached) the token before the revocation.
    expect((await introspect(b, t.access_token)).body.active).toBe(true);
    expect((await readData(b, t.access_token, alice.handle)).status).toBe(200);

    const r = await form(`${a.url}/revoke`, { token: t.access_token }, { authorization: shop.basic() });
    expect(r.status).toBe(200);

    expect((await introspect(b, t.access_token)).body).toEqual({ active: false });
    expect((await readData(b, t.access_token, alice.handle)).status).toBe(401);
  });

  it('when the customer revokes the grant on server A, then server B answers inactive and refuses the read', async () => {
    const t = await obtainTokens(a, shop, alice, { fields: ['phone'] });
    expect((await introspect(b, t.access_token)).body.active).toBe(true);
    expect((await introspect(b, t.refresh_token)).body.active).toBe(true);
    expect((await readData(b, t.access_token, alice.handle)).status).toBe(200);

    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBeLessThan(300);

    expect((await introspect(b, t.access_token)).body).toEqual({ active: false });
    expect((await introspect(b, t.refresh_token)).body).toEqual({ active: false });
    expect((await readData(b, t.access_token, alice.handle)).status).toBeGreaterThanOrEqual(400);
  });

  it('when the customer narrows the grant on server A and the company refreshes on server B, then neither token reads the field taken away', async () => {
    const t = await obtainTokens(a, shop, alice, { fields: ['phone', 'email'] });
    expect(JSON.stringify((await readData(b, t.access_token, alice.handle)).body)).toContain('+32 470 00 00 01');

    expect((await alice.call('PATCH', `/api/grants/${t.grant_id}`, { fields: ['email'] })).status).toBe(200);
    const refreshed = await form(
      `${b.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: shop.basic() },
    );
    expect(refreshed.status).toBe(200);
    for (const token of [t.access_token, refreshed.body.access_token as string])
      for (const v of [a, b]) {
        const phone = await readData(v, token, alice.handle, ['phone']);
        expect(phone.status).toBe(403);
        expect(JSON.stringify(phone.body)).not.toContain('+32 470 00 00 01');
        expect((await readData(v, token, alice.handle, ['email'])).status).toBe(200);
      }
  });
});

describe('the sweep across servers', () => {
  const expiredJti = 'dpop:test:expired';
  const jtiKept = async () => Number(await scalar('SELECT count(*) AS v FROM seen_jtis WHERE jti = ?', expiredJti));
  const holder = () => scalar<string>("SELECT holder AS v FROM leases WHERE name = 'sweep'");

  it('when server A holds the sweep lease, then server B does not sweep until the lease has expired', async () => {
    await a.vault.sweep(); // A takes the lease
    const holderA = await holder();
    expect(holderA).toBeDefined();
    await rawStatement(a.ctx.backend, 'INSERT INTO seen_jtis (jti, expires_at) VALUES (?, ?)').run(
      expiredJti,
      new Date(Date.now() - 3_600_000).toISOString(),
    );

    await b.vault.sweep();
    expect(await jtiKept()).toBe(1);
    expect(await holder()).toBe(holderA);

    // A stops sweeping (it died): its lease runs out on B's clock, and B takes over.
    b.clock.advance(SWEEP_LEASE_TTL_MS + 1000);
    await b.vault.sweep();
    expect(await jtiKept()).toBe(0);
    expect(await holder()).not.toBe(holderA);
    // ...and now A is the one that waits.
    await a.vault.sweep();
    expect(await holder()).not.toBe(holderA);
  });
});

describe('sign-in lock-outs across servers', () => {
  it('when failed sign-ins for one account are spread over two servers, then the sixth is refused on either', async () => {
    const email = uniqueEmail('bob');
    await new Customer(a.url).signUp(email);
    // Both servers at one instant just after a window starts (windows start at multiples of their length, and an
    // hour is a multiple of each): B's clock ran ahead in the lease test, and the two must count in one window.
    const hour = 3_600_000;
    const at = Math.ceil(Math.max(a.clock.now().getTime(), b.clock.now().getTime()) / hour) * hour + 1000;
    for (const v of [a, b]) v.clock.advance(at - v.clock.now().getTime());
    const tryOn = async (v: RunningVault) => (await new Customer(v.url).signIn(email, 'wrong password!!')).status;
    for (const v of [a, b, a, b, a]) expect(await tryOn(v)).toBe(401);
    expect(await tryOn(b)).toBe(429);
    expect(await tryOn(a)).toBe(429);
    // The right password is locked out too for this window, whichever server it reaches.
    expect((await new Customer(b.url).signIn(email)).status).toBe(429);
  });

  it('when an hour has passed since a window started, then the sweep purges its counters', async () => {
    const count = async () => Number(await scalar('SELECT count(*) AS v FROM rate_counters'));
    expect(await count()).toBeGreaterThan(0);
    // B holds the sweep lease since the test above; its clock moves past RATE_COUNTER_RETAIN_MS.
    b.clock.advance(RATE_COUNTER_RETAIN_MS + 15 * 60_000);
    await b.vault.sweep();
    expect(await count()).toBe(0);
  });
});

describe('the replay cache across servers', () => {
  it('when a client assertion used on server A is replayed on server B, then B refuses it', async () => {
    const jwtShop = await registerCompany(a, { method: 'private_key_jwt', name: 'Assertion Shop' });
    const now = Math.floor(a.clock.now().getTime() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: jwtShop.kid! })
      .setIssuer(jwtShop.clientId)
      .setSubject(jwtShop.clientId)
      .setAudience(a.url)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(crypto.randomUUID())
      .sign(jwtShop.privateKey!);
    const tokenOn = (v: RunningVault) =>
      form(`${v.url}/token`, {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
    expect((await tokenOn(a)).status).toBe(200);
    const replay = await tokenOn(b);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
  });
});
