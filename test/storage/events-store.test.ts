import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxStore } from '../../server/events/store.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/** The event outbox's store on both back ends (ARCHITECTURE.md, "How to add a storage back end"). */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const event = (jti: string, companyId = 'co-a') => ({
  jti,
  companyId,
  customerId: 'cu-1',
  grantId: null,
  eventType: 'grant.revoked',
  data: '{}',
  createdAt: '2026-01-01T00:00:00.000Z',
  nextAttemptAt: '2026-01-01T00:00:00.000Z',
});

describe.each(DIALECTS)('the outbox store on %s', (name) => {
  it('when events are added, settled and purged, then seq, counts and lists answer alike', async () => {
    const s = createOutboxStore(backends.get(name));
    await s.insert(event('j1'));
    await s.insert(event('j2', 'co-b'));
    await s.insert(event('j3'));
    expect((await s.pending('co-a', 10)).map((r) => [r.seq, r.jti, r.attempts])).toEqual([
      [1, 'j1', 0],
      [3, 'j3', 0],
    ]);
    expect(await s.countPending('co-a')).toBe(2);
    expect((await s.pendingByJti('co-a', ['j2', 'j3'])).map((r) => r.jti)).toEqual(['j3']);
    expect(await s.pendingByJti('co-a', [])).toEqual([]);
    await s.update('co-a', 1, { settledAt: '2026-01-02T00:00:00.000Z', outcome: 'delivered' });
    expect(await s.countPending('co-a')).toBe(1);
    expect((await s.unsettledBefore('2026-01-05T00:00:00.000Z', 10)).map((r) => r.seq)).toEqual([2, 3]);
    expect(await s.endpointOf('nobody')).toBeNull();
    expect(await s.purgeSettledBefore('2026-01-01T00:00:00.000Z')).toBe(0);
    expect(await s.purgeSettledBefore('2026-01-03T00:00:00.000Z')).toBe(1);
    await s.insert(event('j4'));
    expect((await s.pending('co-a', 10)).map((r) => r.seq)).toEqual([3, 4]);
  });
});
