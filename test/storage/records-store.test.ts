import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordStore } from '../../server/data/record-store.ts';
import { rawStatement } from '../../server/db/raw.ts';
import type { Backend } from '../../server/db/backend.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

const runSql = (b: Backend, sql: string) => rawStatement(b, sql).run();

/**
 * The records store on both back ends (ARCHITECTURE.md, "How to add a storage back end"): its raw statements, the
 * shareable page above all (one aggregated row on SQLite, plain rows on PostgreSQL), answer alike.
 */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const row = (id: string, over: Partial<Parameters<ReturnType<typeof createRecordStore>['insert']>[0]> = {}) => ({
  id,
  customerId: 'cu-1',
  companyId: 'co-a',
  grantId: 'g-1',
  category: 'purchases',
  sealed: Buffer.from(`sealed-${id}`),
  createdAt: '2026-01-01T00:00:00.000Z',
  idempotencyKey: null,
  deviceId: null,
  ...over,
});

describe.each(DIALECTS)('the records store on %s', (name) => {
  it('when records are stored, then reads by id and key, counts, lists and sources answer alike', async () => {
    const s = createRecordStore(backends.get(name));
    await s.insert(row('r1', { idempotencyKey: 'k1', deviceId: 'dev-1' }));
    await s.insert(row('r2', { companyId: 'co-b', category: 'visits', createdAt: '2026-01-02T00:00:00.000Z' }));
    await s.insert(row('r3', { companyId: 'co-c', category: 'purchases', createdAt: '2026-01-02T00:00:00.000Z' }));
    await s.insert(row('other', { customerId: 'cu-2' }));

    const r1 = await s.byId('cu-1', 'r1');
    expect(r1).toEqual({ ...row('r1', { idempotencyKey: 'k1', deviceId: 'dev-1' }), hiddenAt: null });
    expect(Buffer.isBuffer(r1?.sealed)).toBe(true);
    expect(await s.byId('cu-2', 'r1')).toBeUndefined();
    expect((await s.byIdempotencyKey('cu-1', 'co-a', 'k1'))?.id).toBe('r1');
    expect(await s.byIdempotencyKey('cu-1', 'co-b', 'k1')).toBeUndefined();
    expect(await s.countOf('cu-1')).toBe(3);
    expect(await s.countOf('nobody')).toBe(0);
    expect((await s.allOf('cu-1')).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);

    expect(await s.sourcesOf('cu-1', ['purchases', 'visits'])).toEqual(['co-a', 'co-b', 'co-c']);
    expect(await s.sourcesOf('cu-1', ['purchases'])).toEqual(['co-a', 'co-c']);
    expect(await s.sourcesOf('cu-1', [])).toEqual([]);
    expect(await s.setHidden('cu-1', 'r3', '2026-02-01T00:00:00.000Z')).toBe(true);
    expect(await s.setHidden('cu-2', 'r3', null)).toBe(false);
    expect(await s.sourcesOf('cu-1', ['purchases'])).toEqual(['co-a']);
    expect((await s.byId('cu-1', 'r3'))?.hiddenAt).toBe('2026-02-01T00:00:00.000Z');
    expect(await s.setHidden('cu-1', 'r3', null)).toBe(true);
    expect(await s.sourcesOf('cu-1', ['purchases'])).toEqual(['co-a', 'co-c']);

    expect(await s.remove('cu-2', 'r1')).toBe(false);
    expect(await s.remove('cu-1', 'r1')).toBe(true);
    expect(await s.byId('cu-1', 'r1')).toBeUndefined();
    expect(await s.remove('cu-1', 'r1')).toBe(false);
  });

  it('when the shareable page is read, then its rows come newest first, by category, window and cursor', async () => {
    const s = createRecordStore(backends.get(name));
    const c = 'cu-page';
    await s.insert(row('p1', { customerId: c, createdAt: '2026-03-01T00:00:00.000Z', deviceId: 'd1' }));
    await s.insert(row('p2', { customerId: c, createdAt: '2026-03-02T00:00:00.000Z', category: 'visits' }));
    await s.insert(row('p3a', { customerId: c, createdAt: '2026-03-03T00:00:00.000Z', companyId: 'co-x' }));
    await s.insert(row('p3b', { customerId: c, createdAt: '2026-03-03T00:00:00.000Z' }));
    await s.insert(row('p4', { customerId: c, createdAt: '2026-03-04T00:00:00.000Z', category: 'other' }));
    await s.insert(row('p5', { customerId: c, createdAt: '2026-03-05T00:00:00.000Z' }));
    await s.setHidden(c, 'p5', '2026-03-06T00:00:00.000Z');

    const cats = ['purchases', 'visits'];
    const ids = async (...args: Parameters<typeof s.shareable>) => (await s.shareable(...args)).ids;
    expect(await ids(c, cats, '', undefined, 2)).toEqual(['p3b', 'p3a']);
    expect(await ids(c, cats, '', { createdAt: '2026-03-03T00:00:00.000Z', id: 'p3a' }, 10)).toEqual(['p2', 'p1']);
    expect(await ids(c, ['visits'], '', undefined, 10)).toEqual(['p2']);
    expect(await ids(c, cats, '2026-03-02T00:00:00.000Z', undefined, 10)).toEqual(['p3b', 'p3a', 'p2']);
    expect(await ids(c, ['nothing'], '', undefined, 10)).toEqual([]);
    expect(await ids(c, cats, '', { createdAt: '2026-03-01T00:00:00.000Z', id: 'p1' }, 10)).toEqual([]);
  });

  it("when records are fetched by id, then only the customer's own shareable ones come back, with what a page says", async () => {
    const s = createRecordStore(backends.get(name));
    await s.insert(row('s1', { customerId: 'cu-s', deviceId: 'd1', companyId: 'co-x', category: 'devices' }));
    await s.insert(row('s2', { customerId: 'cu-s' }));
    await s.insert(row('s3', { customerId: 'cu-other' }));
    await s.setHidden('cu-s', 's2', '2026-03-06T00:00:00.000Z');
    const got = await s.sealedOf('cu-s', ['s1', 's2', 's3', 'nope']);
    expect([...got].map(([id, r]) => [id, r.sealed.toString()])).toEqual([['s1', 'sealed-s1']]);
    expect(got.get('s1')).toEqual({
      id: 's1',
      companyId: 'co-x',
      category: 'devices',
      createdAt: row('s1').createdAt,
      deviceId: 'd1',
      sealed: Buffer.from('sealed-s1'),
    });
    expect((await s.sealedOf('cu-s', [])).size).toBe(0);
  });
  it("when any of a customer's records is written, then their records version changes, and comes with the page's ids", async () => {
    const b = backends.get(name);
    const s = createRecordStore(b);
    const c = 'cu-version';
    const customer = { handle: 'h-version', loginIndex: 'l-version', passwordHash: 'x', kekId: 'k' };
    await b
      .q()
      .insert(b.t.customers)
      .values({ id: c, ...customer, wrappedDek: Buffer.of(1), createdAt: 'now' });
    const version = () => s.recordsVersion(c);
    const page = () => s.shareable(c, ['purchases'], '', undefined, 10);
    if (name === 'postgres') {
      // PostgreSQL keeps none (pg migration 0015): every read asks for its page's ids.
      await s.insert(row('v1', { customerId: c }));
      expect([await version(), (await page()).version]).toEqual([undefined, undefined]);
      return;
    }
    const seen = [await version()];
    const changed = async (write: () => Promise<unknown>) => {
      await write();
      const now = await version();
      expect(seen).not.toContain(now);
      seen.push(now);
    };
    await changed(() => s.insert(row('v1', { customerId: c })));
    expect(await page()).toEqual({ ids: ['v1'], version: seen.at(-1) });
    await changed(() => s.setHidden(c, 'v1', '2026-03-06T00:00:00.000Z'));
    await changed(() => s.setHidden(c, 'v1', null));
    await changed(() => s.insert(row('v2', { customerId: c })));
    await changed(() => s.remove(c, 'v2'));
    // Another customer's records leave it alone; a write that rolls back leaves the version it found, and the next
    // write never takes the rolled-back one (whose page of ids a read may have kept meanwhile).
    await s.insert(row('v3', { customerId: 'cu-someone-else' }));
    await runSql(b, 'SAVEPOINT undone');
    await s.insert(row('v4', { customerId: c }));
    seen.push(await version());
    await runSql(b, 'ROLLBACK TO undone');
    await runSql(b, 'RELEASE undone');
    expect(await version()).toBe(seen.at(-2));
    await changed(() => s.insert(row('v5', { customerId: c })));
    expect((await page()).ids).toEqual(['v5', 'v1']);
  });
});
