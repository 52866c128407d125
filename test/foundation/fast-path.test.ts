import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * The company read (`GET /data/customers/{handle}`) is served by its own fast path (server/data/routes.ts,
 * dataReadFastPath), which runs the express front by hand. These tests keep the two paths from drifting
 * apart: a protection added in front of the data routes in express that the fast path does not run would
 * be silently skipped on the vault's most sensitive endpoint.
 */

interface Layer {
  name: string;
  handle: { stack?: Layer[] };
  route?: { path: string; methods: Record<string, boolean>; stack: Layer[] };
  match(path: string): boolean;
}

/** The names of every handler express runs for `GET path`, in order, up to and including the route's own. */
function handlersFor(stack: Layer[], path: string): string[] | undefined {
  const seen: string[] = [];
  for (const layer of stack) {
    if (!layer.match(path)) continue;
    if (layer.route) {
      if (layer.route.methods.get) return [...seen, ...layer.route.stack.map((l) => l.name)];
      continue;
    }
    if (layer.handle.stack) {
      const inner = handlersFor(layer.handle.stack, path);
      if (inner) return [...seen, ...inner];
      continue;
    }
    seen.push(layer.name);
  }
  return undefined;
}

/**
 * What express runs before the data route, and why the fast path may do without each. Adding a
 * middleware in front of the data routes fails this test: run it in dataReadFastPath too, then list it here.
 */
const FRONT_OF_THE_READ: Record<string, string> = {
  front: 'the fast path calls the same front (security headers, request id, log line)',
  jsonParser: 'a read has no body; the fast path never reads one',
  urlencodedParser: 'a read has no body; the fast path never reads one',
  refuseUnreadableBodies: 'a read has no body; the fast path never reads one',
  nameResourceMetadata: "the fast path's problem replies name the same RFC 9728 metadata in their challenge",
  requireAccessToken: 'the fast path calls the same authenticator (dataToken) before the read',
};

describe('the company read fast path', () => {
  let v: RunningVault;
  beforeAll(async () => {
    v = await startVault();
  });
  afterAll(() => v.close());

  it('when express would run a middleware before the data read, then the fast path runs it or this list says why not', () => {
    const stack = (v.vault.app as unknown as { router: { stack: Layer[] } }).router.stack;
    const handlers = handlersFor(stack, '/data/customers/vh-abcde-fghij');
    expect(handlers).toBeDefined();
    const before = handlers!.slice(0, -1);
    expect(before).toEqual(Object.keys(FRONT_OF_THE_READ));
    // The claim answer takes the same fast path, so the same front must stand before its express route.
    const claim = handlersFor(stack, '/data/customers/vh-abcde-fghij/claims/age_over');
    expect(claim?.slice(0, -1)).toEqual(Object.keys(FRONT_OF_THE_READ));
    // So does the records read (issue 15).
    const records = handlersFor(stack, '/data/customers/vh-abcde-fghij/records');
    expect(records?.slice(0, -1)).toEqual(Object.keys(FRONT_OF_THE_READ));
  });

  it('when the same refused records read goes through the fast path and through express, then both answer alike', async () => {
    const fast = await fetch(`${v.url}/data/customers/vh-abcde-fghij/records?limit=5`);
    const slow = await fetch(`${v.url}/data/customers/vh-abcde-fghi%6A/records?limit=5`);
    expect(fast.status).toBe(401);
    expect(slow.status).toBe(fast.status);
    const varying = new Set(['date', 'content-length', 'x-request-id', 'etag']);
    const names = (r: Response) => [...r.headers.keys()].filter((h) => !varying.has(h)).sort();
    expect(names(slow)).toEqual(names(fast));
    for (const h of names(fast)) expect([h, slow.headers.get(h)]).toEqual([h, fast.headers.get(h)]);
    const [a, b] = [await fast.json(), await slow.json()];
    expect({ ...b, instance: undefined }).toEqual({ ...a, instance: undefined });
  });

  it('when the same refused claim goes through the fast path and through express, then both answer alike', async () => {
    const fast = await fetch(`${v.url}/data/customers/vh-abcde-fghij/claims/age_over`);
    const slow = await fetch(`${v.url}/data/customers/vh-abcde-fghij/claims/age_ove%72`);
    expect(fast.status).toBe(401);
    expect(slow.status).toBe(fast.status);
    const varying = new Set(['date', 'content-length', 'x-request-id', 'etag']);
    const names = (r: Response) => [...r.headers.keys()].filter((h) => !varying.has(h)).sort();
    expect(names(slow)).toEqual(names(fast));
    const [a, b] = [await fast.json(), await slow.json()];
    expect({ ...b, instance: undefined }).toEqual({ ...a, instance: undefined });
  });

  it('when the same refused read goes through the fast path and through express, then both answer alike', async () => {
    // A percent-escape in the path sends the request to express; it decodes to the same handle.
    const fast = await fetch(`${v.url}/data/customers/vh-abcde-fghij`);
    const slow = await fetch(`${v.url}/data/customers/vh-abcde-fghi%6A`);
    expect(fast.status).toBe(401);
    expect(slow.status).toBe(fast.status);
    const varying = new Set(['date', 'content-length', 'x-request-id', 'etag']);
    const names = (r: Response) => [...r.headers.keys()].filter((h) => !varying.has(h)).sort();
    expect(names(slow)).toEqual(names(fast));
    for (const h of names(fast)) expect([h, slow.headers.get(h)]).toEqual([h, fast.headers.get(h)]);
    const [a, b] = [await fast.json(), await slow.json()];
    expect({ ...b, instance: undefined }).toEqual({ ...a, instance: undefined });
  });
});
