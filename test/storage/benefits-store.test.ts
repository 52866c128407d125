import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBenefitStore } from '../../server/benefits/store.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/** The benefit ledger's store on both back ends (ARCHITECTURE.md, "How to add a storage back end"). */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const entry = (id: string, status: 'recorded' | 'confirmed' | 'disputed', createdAt: string) => ({
  id,
  customerId: 'cu-1',
  companyId: 'co-a',
  grantId: 'g-1',
  keyHash: `key-${id}`,
  kind: 'payment' as const,
  amountMinor: 1250,
  currency: 'EUR',
  referenceSealed: Buffer.from([0, 1, 2, 255]),
  status,
  createdAt,
  answeredAt: null,
});

describe.each(DIALECTS)('the benefit store on %s', (name) => {
  it('when entries are recorded and answered, then reads, counts and per-status sums answer alike', async () => {
    const s = createBenefitStore(backends.get(name));
    expect(await s.counts('cu-1', 'co-a', '')).toEqual({ delivered: 0, confirmed: 0, disputed: 0 });
    expect(await s.countForGrant('cu-1', 'g-1')).toBe(0);
    await s.insert(entry('b1', 'recorded', '2026-01-01T00:00:00.000Z'));
    await s.insert(entry('b2', 'confirmed', '2026-01-02T00:00:00.000Z'));
    await s.insert({
      ...entry('b3', 'disputed', '2026-01-03T00:00:00.000Z'),
      amountMinor: null,
      referenceSealed: null,
    });
    await s.insert({ ...entry('b4', 'recorded', '2026-01-04T00:00:00.000Z'), companyId: 'co-b', grantId: 'g-2' });

    expect(await s.byKey('co-a', 'key-b1')).toEqual(entry('b1', 'recorded', '2026-01-01T00:00:00.000Z'));
    expect(await s.byKey('co-b', 'key-b1')).toBeUndefined();
    expect((await s.forCustomer('cu-1', 'b3'))?.referenceSealed).toBeNull();
    expect(await s.forCustomer('cu-2', 'b3')).toBeUndefined();
    expect(await s.countForGrant('cu-1', 'g-1')).toBe(3);
    expect((await s.listForCustomer('cu-1')).map((r) => r.id)).toEqual(['b4', 'b3', 'b2', 'b1']);
    expect(await s.counts('cu-1', 'co-a', '')).toEqual({ delivered: 2, confirmed: 1, disputed: 1 });
    expect(await s.counts('cu-1', 'co-a', '2026-01-02T00:00:00.000Z')).toEqual({
      delivered: 1,
      confirmed: 1,
      disputed: 1,
    });

    await s.answer('cu-1', 'b1', 'confirmed', '2026-02-01T00:00:00.000Z');
    await s.answer('cu-2', 'b2', 'disputed', '2026-02-01T00:00:00.000Z');
    expect(await s.forCustomer('cu-1', 'b1')).toMatchObject({
      status: 'confirmed',
      answeredAt: '2026-02-01T00:00:00.000Z',
    });
    expect((await s.forCustomer('cu-1', 'b2'))?.status).toBe('confirmed');
    expect(await s.counts('cu-1', 'co-a', '')).toEqual({ delivered: 2, confirmed: 2, disputed: 1 });
  });
});
