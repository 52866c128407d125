import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeletionStore } from '../../server/deletions/store.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/** The deletion requests' store on both back ends (ARCHITECTURE.md, "How to add a storage back end"). */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const request = (id: string, over: Record<string, string> = {}) => ({
  id,
  customerId: 'cu-1',
  companyId: 'co-a',
  grantId: `g-${id}`,
  cause: 'revoked',
  fields: '[]',
  records: '[]',
  status: 'open' as const,
  requestedAt: '2026-01-01T00:00:00.000Z',
  dueAt: '2026-02-01T00:00:00.000Z',
  overdueAt: null,
  confirmedAt: null,
  keptFields: null,
  keptUntil: null,
  receiptId: null,
  ...over,
});

describe.each(DIALECTS)('the deletion store on %s', (name) => {
  it('when requests are made, repeated, listed and updated, then each answer is the same', async () => {
    const s = createDeletionStore(backends.get(name));
    expect(await s.insert(request('d1'))).toBe(1);
    expect(await s.insert({ ...request('d1-again'), grantId: 'g-d1' })).toBe(0);
    expect(
      await s.insert(request('d2', { requestedAt: '2026-01-02T00:00:00.000Z', dueAt: '2026-01-15T00:00:00.000Z' })),
    ).toBe(1);
    expect(await s.insert(request('d3', { companyId: 'co-b', customerId: 'cu-2' }))).toBe(1);
    expect(await s.byGrant('g-d1')).toEqual(request('d1'));
    expect(await s.byGrant('none')).toBeUndefined();
    expect((await s.forCompany('co-a', 'd1'))?.id).toBe('d1');
    expect(await s.forCompany('co-b', 'd1')).toBeUndefined();
    expect((await s.listForCompany('co-a')).map((r) => r.id)).toEqual(['d2', 'd1']);
    expect((await s.listForCustomer('cu-1')).map((r) => r.id)).toEqual(['d2', 'd1']);
    expect((await s.listByStatus('open', 2)).map((r) => r.id)).toEqual(['d2', 'd1']);
    expect((await s.dueForOverdue('2026-01-20T00:00:00.000Z')).map((r) => r.id)).toEqual(['d2']);
    await s.update('d2', { status: 'overdue', overdueAt: '2026-01-20T00:00:00.000Z' });
    expect((await s.listForCompany('co-a', 'overdue')).map((r) => r.id)).toEqual(['d2']);
    expect((await s.listForCompany('co-a', 'open')).map((r) => r.id)).toEqual(['d1']);
    expect(await s.dueForOverdue('2026-01-20T00:00:00.000Z')).toEqual([]);
  });
});
