import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { countOf, rowsOf } from '../support/rows.ts';

let v: RunningVault;
let alice: Customer;
let bob: Customer;
let bobGrantId = '';

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
  await alice.call('PATCH', '/api/profile', { given_name: 'Alice', city: 'Leuven' });
  bobGrantId = (await obtainTokens(v, await registerCompany(v), bob)).grant_id;
});
afterAll(async () => v.close());

/**
 * Everything a request could change: row counts of every table and every stored ciphertext. Not `rate_counters`: a
 * refused sign-in counts towards its lock-out by design, in memory on SQLite and in that table on PostgreSQL
 * (SECURITY.md, "Floods and bounds").
 */
async function snapshot(): Promise<string> {
  const tables = (
    await rowsOf<{ name: string }>(v, {
      sqlite:
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' and name <> 'rate_counters' order by name",
      postgres:
        "select table_name AS name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like '__drizzle%' and table_name <> 'rate_counters' order by table_name",
    })
  ).map((t) => t.name);
  const counts = await Promise.all(
    tables.map(async (t) => `${t}:${await countOf(v, `select count(*) AS n from "${t}"`)}`),
  );
  const fields = await rowsOf(v, {
    sqlite: 'select customer_id, field, version, hex(sealed) s from profile_fields order by 1, 2',
    postgres: "select customer_id, field, version, encode(sealed, 'hex') s from profile_fields order by 1, 2",
  });
  return JSON.stringify({ counts, fields });
}

type Case = [
  name: string,
  who: () => Customer | undefined,
  method: string,
  path: string | (() => string),
  body: unknown,
  headers: Record<string, string>,
  status: number,
];
const json = { 'content-type': 'application/json' };
const anon = () => undefined;
const asAlice = () => alice;

const cases: Case[] = [
  ['bad JSON', anon, 'POST', '/api/account', '{"email": "x@y.z", ', json, 400],
  [
    'huge body',
    anon,
    'POST',
    '/api/account',
    JSON.stringify({ email: 'x@example.test', password: 'p'.repeat(200_000) }),
    json,
    413,
  ],
  ['wrong types', anon, 'POST', '/api/account', JSON.stringify({ email: 5, password: true }), json, 400],
  [
    'unknown fields on sign-up',
    anon,
    'POST',
    '/api/account',
    JSON.stringify({ email: 'new@example.test', password: 'long enough pw', role: 'admin' }),
    json,
    400,
  ],
  [
    'SQL-ish e-mail',
    anon,
    'POST',
    '/api/session',
    JSON.stringify({ email: "' OR 1=1 --", password: 'whatever123' }),
    json,
    400,
  ],
  [
    'SQL-ish password',
    anon,
    'POST',
    '/api/session',
    JSON.stringify({ email: 'nobody@example.test', password: "' OR '1'='1' --" }),
    json,
    401,
  ],
  ['JSON scalar body', anon, 'POST', '/api/session', '42', json, 400],
  [
    'over-long e-mail',
    anon,
    'POST',
    '/api/account',
    JSON.stringify({ email: `${'a'.repeat(300)}@example.test`, password: 'long enough pw' }),
    json,
    400,
  ],
  ['unknown profile field', asAlice, 'PATCH', '/api/profile', JSON.stringify({ is_admin: true }), json, 400],
  [
    'wrong profile value type',
    asAlice,
    'PATCH',
    '/api/profile',
    JSON.stringify({ household_size: 'three' }),
    json,
    400,
  ],
  [
    'SQL-ish profile value',
    asAlice,
    'PATCH',
    '/api/profile',
    JSON.stringify({ country: "BE'; DROP TABLE customers; --" }),
    json,
    400,
  ],
  [
    'one bad field spoils the batch',
    asAlice,
    'PATCH',
    '/api/profile',
    JSON.stringify({ given_name: 'Mallory', date_of_birth: '2020-13-45' }),
    json,
    400,
  ],
  ['array body', asAlice, 'PATCH', '/api/profile', '[]', json, 400],
  ['__proto__ key', asAlice, 'PATCH', '/api/profile', '{"__proto__": {"polluted": true}}', json, 400],
  ['text/plain body', asAlice, 'PATCH', '/api/profile', 'given_name=Mallory', { 'content-type': 'text/plain' }, 415],
  [
    'multipart body',
    asAlice,
    'PATCH',
    '/api/profile',
    '--x\r\n\r\n--x--',
    { 'content-type': 'multipart/form-data; boundary=x' },
    415,
  ],
  [
    'unsupported content encoding',
    asAlice,
    'PATCH',
    '/api/profile',
    'garbage',
    { ...json, 'content-encoding': 'br-nonsense' },
    415,
  ],
  ['no session', anon, 'PATCH', '/api/profile', JSON.stringify({ given_name: 'Mallory' }), json, 401],
  [
    'forged session cookie',
    anon,
    'PATCH',
    '/api/profile',
    JSON.stringify({ given_name: 'Mallory' }),
    { ...json, cookie: 'vault_session=forged-value' },
    401,
  ],
  ['account deletion without confirmation', asAlice, 'DELETE', '/api/account', JSON.stringify({}), json, 400],
  ["revoking another customer's grant", asAlice, 'DELETE', () => `/api/grants/${bobGrantId}`, undefined, {}, 404],
  [
    "narrowing another customer's grant",
    asAlice,
    'PATCH',
    () => `/api/grants/${bobGrantId}`,
    JSON.stringify({ fields: ['email'] }),
    json,
    404,
  ],
  ['a grant id that is not an id', asAlice, 'DELETE', "/api/grants/1'%20OR%201=1", undefined, {}, 400],
  [
    'sign-in as a cross-site form (login CSRF)',
    anon,
    'POST',
    '/api/session',
    'email=alice%40example.test&password=long+enough+pw',
    { 'content-type': 'application/x-www-form-urlencoded' },
    415,
  ],
  [
    'sign-up as a cross-site text/plain post',
    anon,
    'POST',
    '/api/account',
    '{"email":"csrf@example.test","password":"long enough pw"}',
    { 'content-type': 'text/plain' },
    415,
  ],
  [
    'sign-in from a foreign Origin',
    anon,
    'POST',
    '/api/session',
    JSON.stringify({ email: 'nobody@example.test', password: 'long enough pw' }),
    { ...json, origin: 'https://evil.example' },
    403,
  ],
  [
    'sign-up from a foreign Origin',
    anon,
    'POST',
    '/api/account',
    JSON.stringify({ email: 'csrf2@example.test', password: 'long enough pw' }),
    { ...json, origin: 'https://evil.example' },
    403,
  ],
  ['a lone surrogate in a name', asAlice, 'PATCH', '/api/profile', '{"given_name":"\\ud800"}', json, 400],
  ['a NUL character in a city', asAlice, 'PATCH', '/api/profile', '{"city":"Leu\\u0000ven"}', json, 400],
  [
    'JSON nested 5,000 deep',
    asAlice,
    'PATCH',
    '/api/profile',
    `{"given_name":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    json,
    400,
  ],
  [
    'JSON nested 33 deep on sign-up',
    anon,
    'POST',
    '/api/account',
    `{"email":${'{"a":'.repeat(33)}1${'}'.repeat(33)}}`,
    json,
    400,
  ],
];

describe('malformed or hostile requests', () => {
  it.each(cases)(
    'when %s, then a 4xx problem+json and nothing changes',
    async (_name, who, method, path, body, headers, status) => {
      const before = await snapshot();
      const client = who() ?? new Customer(v.url);
      const r = await client.call(method, typeof path === 'function' ? path() : path, body, headers);
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body.status).toBe(status);
      expect(typeof r.body.type).toBe('string');
      expect(typeof r.body.title).toBe('string');
      expect(JSON.stringify(r.body)).not.toMatch(/\bat .+\.ts:\d+|node_modules|SqliteError/);
      expect(await snapshot()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it("when Alice's data is checked afterwards, then it is intact and Bob's is untouched", async () => {
    const r = await alice.call('GET', '/api/profile');
    expect(r.body.fields.given_name.value).toBe('Alice');
    expect(r.body.fields.city.value).toBe('Leuven');
    expect(Object.keys((await bob.call('GET', '/api/profile')).body.fields)).toEqual(['email']);
    expect((await bob.call('GET', `/api/grants/${bobGrantId}`)).body.status).toBe('active');
  });
});

describe('requests refused before any route sees them', () => {
  /** Sends raw bytes and returns the raw answer: node's parser must see exactly what a client sent. */
  function raw(text: string): Promise<string> {
    const { port } = new URL(v.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (d) => (answer += d));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  it.each([
    [
      'the headers are larger than the server accepts',
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
    ['the request line is not HTTP', 'BREW /pot HTCPCP/1.0\r\n\r\n', 400],
  ])('when %s, then a problem+json 4xx, not a bare status line', async (_what, text, status) => {
    const answer = await raw(text);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/\r\ncontent-type: application\/problem\+json/);
    expect(JSON.parse(body!)).toMatchObject({
      status,
      type: expect.stringMatching(/^https?:\/\/.+\/problems\/[a-z-]+$/),
    });
    expect(JSON.parse(body!).type.startsWith(`${v.ctx.config.publicUrl}/problems/`)).toBe(true);
  });

  it.each([
    ['/register', 'application/json', '{"client_name": '],
    ['/par', 'application/json', '{bad'],
    ['/token', 'application/x-www-form-urlencoded', Array.from({ length: 60 }, (_, i) => `p${i}=x`).join('&')],
    ['/introspect', 'application/x-www-form-urlencoded; charset=ebcdic', 'token=x'],
  ])(
    'when %s gets a body its parser refuses, then the error is application/json with an OAuth error code',
    async (path, type, body) => {
      const r = await fetch(`${v.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await r.json()).toMatchObject({
        error: 'invalid_request',
        error_description: expect.any(String),
        status: r.status,
      });
    },
  );
});
