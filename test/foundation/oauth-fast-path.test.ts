import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * POST /token and POST /introspect are served by their own fast path (server/oauth/fast-path.ts), which runs
 * the express front and form parser by hand. These tests keep the two paths from drifting apart: the same
 * request, once through the fast path and once through express, gets the same status, headers and body.
 */

interface Layer {
  name: string;
  handle: { stack?: Layer[] };
  route?: { path: string; methods: Record<string, boolean>; stack: Layer[] };
  match(path: string): boolean;
}

/** Every handler express runs for `method path`, in order, nested routers included, up to the route's own. */
function handlersFor(stack: Layer[], path: string, method: string, seen: string[] = []): string[] | undefined {
  for (const layer of stack) {
    if (!layer.match(path)) continue;
    if (layer.route) {
      if (layer.route.methods[method]) return [...seen, ...layer.route.stack.map((l) => l.name)];
    } else if (layer.handle.stack) {
      const inner = handlersFor(layer.handle.stack, path, method, seen);
      if (inner) return inner;
    } else seen.push(layer.name);
  }
  return undefined;
}

/**
 * What express runs before the token routes, and why the fast path may do without each. Adding a middleware
 * in front of them fails this test: run it in tokenFastPath too, then list it here.
 */
const FRONT_OF_THE_TOKEN_ENDPOINTS: Record<string, string> = {
  front: 'the fast path sets the same security headers, request id and log line (Front.headers, Front.track)',
  answerAsOAuth: 'the fast path answers its errors as application/json with `error` too',
  jsonParser: 'the fast path takes only form bodies, which this parser skips',
  urlencodedParser:
    'the fast path runs the same parser, or reads the same body with qs itself (server/http/form-body.ts)',
  refuseUnreadableBodies: 'a form body passes its media type check; the fast path runs its depth check',
  load: 'the token endpoints use no session, and a request with a cookie is left to express anyway',
};

let v: RunningVault;
let company: RegisteredCompany;
/** How many requests reached express (the fast path's answers do not). */
let viaExpress = 0;
beforeAll(async () => {
  v = await startVault();
  company = await registerCompany(v);
  const app = v.vault.app as unknown as { handle: (...a: unknown[]) => unknown };
  const handle = app.handle.bind(app);
  app.handle = (...a: unknown[]) => {
    viaExpress++;
    return handle(...a);
  };
});
afterAll(() => v.close());

const FORM = 'application/x-www-form-urlencoded';
const VARYING = new Set(['date', 'content-length', 'x-request-id', 'etag', 'keep-alive', 'connection']);

/** The same request through the fast path and through express (a query string sends it there). */
async function both(path: string, body: string | Uint8Array | Chunked, headers: Record<string, string> = {}) {
  const send = async (url: string) => {
    const before = viaExpress;
    // A chunked body (no content-length) is streamed afresh for each request.
    const sent = body instanceof Chunked ? { body: body.stream(), duplex: 'half' } : { body };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      ...(sent as { body: BodyInit }),
    });
    return { res, text: await res.text(), express: viaExpress > before };
  };
  const fast = await send(`${v.url}${path}`);
  const slow = await send(`${v.url}${path}?via=express`);
  expect([fast.express, slow.express]).toEqual([false, true]);
  return { fast, slow };
}

/** A body sent in these parts with chunked transfer coding. */
class Chunked {
  constructor(readonly parts: string[]) {}
  stream() {
    const parts = [...this.parts];
    return new ReadableStream<Uint8Array>({
      pull(c) {
        const p = parts.shift();
        if (p === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(p));
      },
    });
  }
}

type Answer = Awaited<ReturnType<typeof both>>['fast'];
const names = (r: Response) => [...r.headers.keys()].filter((h) => !VARYING.has(h)).sort();

/** Same status, same headers (but the per-request ones), same body but for the listed per-request values. */
function expectAlike(fast: Answer, slow: Answer, perRequest: string[] = []) {
  expect(slow.res.status).toBe(fast.res.status);
  expect(names(slow.res)).toEqual(names(fast.res));
  for (const h of names(fast.res)) expect([h, slow.res.headers.get(h)]).toEqual([h, fast.res.headers.get(h)]);
  const strip = (text: string) => {
    const o = JSON.parse(text) as Record<string, unknown>;
    for (const k of ['instance', ...perRequest]) if (k in o) o[k] = typeof o[k];
    return o;
  };
  expect(strip(slow.text)).toEqual(strip(fast.text));
}

const basic = () => ({ authorization: company.basic() });
const cc = 'grant_type=client_credentials&scope=grant_management';

describe('the token endpoints fast path', () => {
  it('when express would run a middleware before /token or /introspect, then the fast path runs it or this list says why not', () => {
    const stack = (v.vault.app as unknown as { router: { stack: Layer[] } }).router.stack;
    for (const path of ['/token', '/introspect']) {
      const handlers = handlersFor(stack, path, 'post');
      expect(handlers).toBeDefined();
      expect([path, handlers!.slice(0, -1)]).toEqual([path, Object.keys(FRONT_OF_THE_TOKEN_ENDPOINTS)]);
    }
  });

  it.each([
    ['a plain form', cc, {}],
    ['a form in UTF-8 with a bracketed parameter name', `${cc}&a[b]=1`, { 'content-type': `${FORM};charset=UTF-8` }],
  ])(
    'when a client-credentials token is issued on both paths for %s, then the answers are alike',
    async (_w, body, h) => {
      const { fast, slow } = await both('/token', body, { ...basic(), ...h });
      expect(fast.res.status).toBe(200);
      expect(fast.res.headers.get('cache-control')).toBe('no-store');
      expectAlike(fast, slow, ['access_token']);
    },
  );

  it.each([
    ['a wrong secret', cc, { authorization: 'Basic ' + Buffer.from('nobody:wrong').toString('base64') }],
    ['no client authentication', cc, {}],
    ['a secret in the body', `${cc}&client_secret=x`, 'basic'],
    ['no grant_type', 'scope=grant_management', 'basic'],
    ['an unknown grant_type', 'grant_type=password', 'basic'],
    ['a repeated parameter', `${cc}&scope=x`, 'basic'],
    ['an empty body', '', 'basic'],
    ['a malformed DPoP proof', cc, 'dpop'],
    ['two DPoP proofs', cc, 'dpop2'],
    ['too many parameters', Array.from({ length: 60 }, (_, i) => `p${i}=1`).join('&'), 'basic'],
    ['a body over 32 KB', `${cc}&pad=${'a'.repeat(40_000)}`, 'basic'],
  ])('when a token request has %s, then both paths refuse it alike', async (_what, body, auth) => {
    const headers =
      auth === 'basic'
        ? basic()
        : auth === 'dpop'
          ? { ...basic(), dpop: 'not-a-jwt' }
          : auth === 'dpop2'
            ? { ...basic(), dpop: 'a.b.c, d.e.f' }
            : (auth as Record<string, string>);
    const { fast, slow } = await both('/token', body, headers);
    expect(fast.res.status).toBeGreaterThanOrEqual(400);
    expect(fast.res.status).toBeLessThan(500);
    expect(fast.res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expectAlike(fast, slow);
  });

  const bytes = (...parts: Array<string | number[]>) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  it.each([
    ['a byte-order mark before the form', bytes([0xef, 0xbb, 0xbf], cc)],
    ['percent-encoded names and values', 'grant%5Ftype=client%5Fcredentials&scope=grant%5Fmanagement'],
    ['a __proto__ parameter', `__proto__=x&${cc}&constructor=y`],
    ['a chunked body', new Chunked(['grant_type=client_', 'credentials&scope=grant_', 'management'])],
  ])('when a token request has %s, then both paths read the same form', async (_what, body) => {
    const { fast, slow } = await both('/token', body, basic());
    expect(fast.res.status).toBe(200);
    expectAlike(fast, slow, ['access_token']);
  });

  it.each([
    // The repeated name is echoed in the answer: how each path decoded it shows.
    ['a repeated bracketed name with a plus', `${cc}&a[b]+c=1&a[b]+c=2`],
    ['a repeated name in invalid UTF-8', bytes(`${cc}&k`, [0xff, 0xe0, 0x80], '=1&k', [0xff, 0xe0, 0x80], '=2')],
    ['a repeated name ending in a cut UTF-8 sequence', bytes(`${cc}&k`, [0xf0, 0x9f], '=1&k', [0xf0, 0x9f])],
    ['a malformed percent escape, repeated', `${cc}&%zz=1&%zz=2`],
    ['a byte-order mark alone', bytes([0xef, 0xbb, 0xbf])],
    ['too many parameters, chunked', new Chunked([Array.from({ length: 60 }, (_, i) => `p${i}=1`).join('&')])],
  ])('when a token request has %s, then both paths refuse it alike', async (_what, body) => {
    const { fast, slow } = await both('/token', body, basic());
    expect(fast.res.status).toBeGreaterThanOrEqual(400);
    expectAlike(fast, slow);
  });

  it('when a token is introspected on both paths, then the answers are alike', async () => {
    const t = JSON.parse((await both('/token', cc, basic())).fast.text).access_token as string;
    const { fast, slow } = await both('/introspect', `token=${t}`, basic());
    expect(JSON.parse(fast.text)).toMatchObject({ active: true, client_id: company.clientId });
    expectAlike(fast, slow);
  });

  it.each([
    ['no token', '', 'basic'],
    ['an unknown token', 'token=nothing-we-issued', 'basic'],
    ['no client authentication', 'token=x', 'none'],
  ])('when an introspection has %s, then both paths answer alike', async (_what, body, auth) => {
    const { fast, slow } = await both('/introspect', body, auth === 'basic' ? basic() : {});
    expectAlike(fast, slow);
  });

  it('when the body is not a form, a session cookie is sent or the method is not POST, then express answers', async () => {
    const before = viaExpress;
    const json = await fetch(`${v.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic() },
      body: '{}',
    });
    expect(json.status).toBe(400);
    const cookie = await fetch(`${v.url}/token`, {
      method: 'POST',
      headers: { 'content-type': FORM, cookie: 'vault_session=x', ...basic() },
      body: cc,
    });
    expect(cookie.status).toBe(200);
    expect((await fetch(`${v.url}/token`)).status).toBe(404);
    expect(viaExpress - before).toBe(3);
  });
});
