import { and, eq, lte } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedRows, type Backend } from '../../server/db/backend.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/**
 * One store written once against `Backend` (server/db/backend.ts) runs on both dialects: the same drizzle builder
 * calls, awaited, over the tables of the dialect that runs (ARCHITECTURE.md, "How to add a storage back end").
 */
function leaseStore(b: Backend) {
  const { leases } = b.t;
  return {
    put: async (name: string, holder: string, expiresAt: number) => {
      await b.q().insert(leases).values({ name, holder, expiresAt });
    },
    holder: async (name: string) =>
      (await b.q().select({ holder: leases.holder }).from(leases).where(eq(leases.name, name)).limit(1))[0]?.holder,
    expire: async (now: number) => changedRows(await b.q().delete(leases).where(lte(leases.expiresAt, now))),
    move: async (name: string, from: string, to: string) =>
      changedRows(
        await b
          .q()
          .update(leases)
          .set({ holder: to })
          .where(and(eq(leases.name, name), eq(leases.holder, from))),
      ),
  };
}

const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

describe.each(DIALECTS)('a store written once, on %s', (name) => {
  it('when it inserts, reads, updates and deletes, then each answer is the same as on the other dialect', async () => {
    const s = leaseStore(backends.get(name));
    await s.put('sweep', 'a', 100);
    await s.put('checkpoint', 'b', 300);
    expect(await s.holder('sweep')).toBe('a');
    expect(await s.holder('nothing')).toBeUndefined();
    expect(await s.move('sweep', 'b', 'c')).toBe(0);
    expect(await s.move('sweep', 'a', 'c')).toBe(1);
    expect(await s.holder('sweep')).toBe('c');
    expect(await s.expire(200)).toBe(1);
    expect(await s.holder('sweep')).toBeUndefined();
    expect(await s.holder('checkpoint')).toBe('b');
  });

  it('when a unit throws, then none of its writes stays', async () => {
    const b = backends.get(name);
    const s = leaseStore(b);
    await expect(
      b.inTransaction(async () => {
        await s.put('unit', 'x', 1);
        expect(await s.holder('unit')).toBe('x');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await s.holder('unit')).toBeUndefined();
  });

  it('when a raw statement counts, upserts and reads, then it answers numbers and rows alike on both dialects', async () => {
    const b = backends.get(name);
    const put = rawStatement(b, {
      sqlite:
        'INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET expires_at = expires_at + 1',
      postgres:
        'INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET expires_at = leases.expires_at + 1',
    });
    const count = rawStatement<{ n: number }>(b, 'SELECT count(*) AS n FROM leases WHERE holder = ?');
    const expiry = rawStatement<{ e: number }>(b, 'SELECT expires_at AS e FROM leases WHERE name = ?');
    expect(await put.run('raw', 'r', 10)).toBe(1);
    expect(await put.run('raw', 'r', 10)).toBe(1);
    expect(await expiry.get('raw')).toEqual({ e: 11 });
    expect(await count.get('r')).toEqual({ n: 1 });
    expect(await count.all('nobody')).toEqual([{ n: 0 }]);
    expect(await expiry.get('missing')).toBeUndefined();
  });
});
