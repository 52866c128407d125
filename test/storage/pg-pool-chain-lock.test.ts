import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTerms, form, registerCompany, REDIRECT, type RegisteredCompany } from '../support/company.ts';
import { PG_GROUP_COMMIT } from '../../server/db/pg/group-commit.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * The pool (PG_POOL.max connections) and the chain locks on PostgreSQL: a group commit's batch holds its lane's
 * chain lock from BEGIN to COMMIT, and every unit of this server outside the group commit that appends waits for the
 * server's own chain lock holding a pooled connection. A batch unit must therefore run on the batch's own
 * connection: one that asks the pool for another (a client assertion's replay record) would wait for a connection
 * that the units queued on the other lock hold (with one chain for both, as before the lanes, that wait never
 * ended). A cluster of this file's own.
 */
let cluster: PostgresCluster;
let v: RunningVault;
let shop: RegisteredCompany;
const DB = 'poollock';

beforeAll(async () => {
  cluster = await startPostgres();
  const url = await cluster.createDatabase(DB);
  v = await startVault({ env: { VAULT_DATABASE_URL: url } });
  shop = await registerCompany(v, { method: 'private_key_jwt', name: 'Pool Shop' });
}, 60_000);
afterAll(async () => {
  await v?.close();
  cluster?.stop();
});

/** Polls PostgreSQL until `n` sessions wait for an advisory lock (bounded: fails the test rather than hang). */
async function waitersReach(n: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const [row] = await cluster.query<{ n: number }>(
      DB,
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
    );
    if (row!.n >= n) return;
    if (Date.now() > until) throw new Error(`only ${row!.n} of ${n} sessions wait for the chain lock`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function assertionToken() {
  const now = Math.floor(v.clock.now().getTime() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: shop.kid })
    .setIssuer(shop.clientId)
    .setSubject(shop.clientId)
    .setAudience(v.url)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(crypto.randomUUID())
    .sign(shop.privateKey!);
  return form(`${v.url}/token`, {
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
}

const register = (iat: string, i: number) =>
  fetch(`${v.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat}` },
    body: JSON.stringify({
      client_name: `Pool Queue ${i}`,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
      terms: defaultTerms,
    }),
  });

describe('a batch holding the chain lock while the pool is full of units waiting for it', () => {
  it('when a client assertion is checked in the batch, then the token is issued and every waiting unit commits', async () => {
    const iats = [];
    for (let i = 0; i < 9; i++) iats.push((await v.vault.services.companies.issueInitialAccessToken('test')).token);
    // Hold the server's chain lock from outside, so that the batch and then the other units queue behind it in turn.
    const holder = new pg.Client({ connectionString: cluster.url(DB) });
    await holder.connect();
    // The server's own chain and every lane's, so that the batch queues behind one and the other units behind the other.
    const own = v.ctx.storage.chain;
    const keys = [own, ...Array.from({ length: PG_GROUP_COMMIT.lanes }, (_, k) => `${own}.${k}`)];
    // One after another: a pg client runs one query at a time.
    const lock = async (sql: string) => {
      for (const k of keys) await holder.query(`${sql}(hashtextextended($1, 0))`, [k]);
    };
    try {
      await lock('SELECT pg_advisory_lock');
      const token = assertionToken();
      await waitersReach(1);
      const registrations = iats.map((iat, i) => register(iat, i));
      await waitersReach(10);
      await lock('SELECT pg_advisory_unlock');
      expect((await token).status).toBe(200);
      expect((await Promise.all(registrations)).map((r) => r.status)).toEqual(iats.map(() => 201));
    } finally {
      await holder.end();
    }
  }, 60_000);
});

describe('a unit that waits for the chain lock longer than the statement timeout', () => {
  it('when the lock is held past PG_POOL.statementTimeoutMs, then the request answers 503 with a problem body, commits nothing, and succeeds once retried', async () => {
    const iat = (await v.vault.services.companies.issueInitialAccessToken('test')).token;
    const holder = new pg.Client({ connectionString: cluster.url(DB) });
    await holder.connect();
    const key = [v.ctx.storage.chain];
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', key);
      // The registration waits for the lock until PostgreSQL cancels its statement (statement_timeout).
      const r = await register(iat, 100);
      expect(r.status).toBe(503);
      // RFC 7591 §3.2.2: the registration endpoint answers errors as application/json (an RFC 9457 body).
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await r.json()).toMatchObject({ status: 503 });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await holder.end();
    }
    // Nothing of it committed: the initial access token is still unused, so the retry registers.
    expect((await register(iat, 100)).status).toBe(201);
  }, 60_000);
});
