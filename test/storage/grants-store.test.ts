import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueQueries } from '../../server/grants/reminders.ts';
import { createGrantStore } from '../../server/grants/store.ts';
import { createUsage } from '../../server/grants/usage.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/** The grants module's stores (grants, usage counters, the sweep's due queries), one contract on both back ends. */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const grant = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  customerId: 'cu-1',
  companyId: 'co-1',
  purpose: 'billing',
  fields: '["email"]',
  actions: '["read"]',
  termsVersion: 1,
  policyVersion: 'p1',
  status: 'active' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe.each(DIALECTS)('the grants stores, on %s', (name) => {
  it('when grants are written and read, then lookups name their tenant, lists are newest first, booleans are booleans', async () => {
    const s = createGrantStore(backends.get(name));
    await s.insert(grant('g1', { autoApproved: true }));
    await s.insert(grant('g2', { createdAt: '2026-01-02T00:00:00.000Z', status: 'suspended' }));
    await s.insert(grant('g3', { customerId: 'cu-2', companyId: 'co-2', records: null }));
    const g1 = await s.byId('g1');
    expect(g1).toMatchObject({ id: 'g1', autoApproved: true, records: null, termsVersion: 1 });
    expect((await s.byId('g2'))?.autoApproved).toBe(false);
    expect(await s.byId('nope')).toBeUndefined();
    expect((await s.forCustomer('cu-1', 'g1'))?.autoApproved).toBe(true);
    expect(await s.forCustomer('cu-2', 'g1')).toBeUndefined();
    expect((await s.forCompany('co-2', 'g3'))?.id).toBe('g3');
    expect(await s.forCompany('co-1', 'g3')).toBeUndefined();
    expect((await s.listForCustomer('cu-1')).map((g) => g.id)).toEqual(['g2', 'g1']);
    expect((await s.listForCompany('co-1')).map((g) => g.id)).toEqual(['g2', 'g1']);
    expect((await s.liveForCustomer('cu-1')).map((g) => g.id)).toEqual(['g1']);
    expect((await s.liveForCompany('co-2')).map((g) => g.id)).toEqual(['g3']);
    expect((await s.live()).map((g) => g.id).sort()).toEqual(['g1', 'g3']);
    await s.update('g3', { status: 'revoked', statusReason: 'by the customer' });
    expect(await s.byId('g3')).toMatchObject({ status: 'revoked', statusReason: 'by the customer' });
    expect((await s.dueToExpire('2026-03-01T00:00:00.000Z')).map((g) => g.id).sort()).toEqual(['g1', 'g2']);
    expect(await s.dueToExpire('2026-02-01T00:00:00.000Z')).toEqual([]);
  });

  it('when uses are counted, then the hour buckets add up, tenants stay apart, and the purge drops buckets past a day', async () => {
    const u = createUsage(backends.get(name));
    const hour = 3600_000;
    const t = new Date(Date.UTC(2026, 0, 10, 12, 30));
    await u.record('cu-1', 'gu', 'read', new Date(t.getTime() - hour));
    await u.record('cu-1', 'gu', 'read', new Date(t.getTime() - hour));
    await u.record('cu-1', 'gu', 'read', t);
    await u.record('cu-1', 'gu', 'read', new Date(t.getTime() - 30 * hour));
    await u.record('cu-2', 'gu', 'read', t);
    await u.record('cu-1', 'gu', 'deposit', t);
    // This hour's one, plus half of the previous hour's two (half an hour into this one).
    expect(await u.of('cu-1', 'gu', 'read', t)).toEqual({ readsLastHour: 2, readsLastDay: 3 });
    expect(await u.of('cu-2', 'gu', 'read', t)).toEqual({ readsLastHour: 1, readsLastDay: 1 });
    expect(await u.purgeEnded(t)).toBe(1);
    expect(await u.purgeEnded(t)).toBe(0);
  });

  it('when the sweep asks what is due, then grants without a notice and those whose last one is old come back', async () => {
    const b = backends.get(name);
    const s = createGrantStore(b);
    await s.insert(grant('r1', { customerId: 'cu-r', createdAt: '2026-01-01T00:00:00.000Z' }));
    await s.insert(grant('r2', { customerId: 'cu-r', createdAt: '2026-01-20T00:00:00.000Z' }));
    await s.insert(grant('r3', { customerId: 'cu-r', expiresAt: '2026-01-05T00:00:00.000Z' }));
    const mark = rawStatement(
      b,
      `INSERT INTO grant_notices (grant_id, kind, customer_id, sent_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (grant_id, kind) DO UPDATE SET sent_at = excluded.sent_at`,
    );
    await mark.run('r1', 'reminder', 'cu-r', '2026-01-10T00:00:00.000Z');
    await mark.run('r1', 'reminder', 'cu-r', '2026-01-25T00:00:00.000Z');
    await mark.run('g1', 'expiry', 'cu-1', '2026-01-25T00:00:00.000Z');
    const now = '2026-02-10T00:00:00.000Z';
    const reminders = await dueQueries(b)
      .reminders.prepare('test_reminders_due')
      .execute({ before: '2026-01-26T00:00:00.000Z', now });
    // r1's last reminder (25 Jan) and r2's start (20 Jan) are before the cutoff; r3 has ended.
    const due = reminders.filter((r) => r.grant.customerId === 'cu-r').map((r) => [r.grant.id, r.lastSent]);
    expect(due.sort()).toEqual([
      ['r1', '2026-01-25T00:00:00.000Z'],
      ['r2', null],
    ]);
    const expiring = await dueQueries(b)
      .expiry.prepare('test_expiry_due')
      .execute({ horizon: '2026-03-01T00:00:00.000Z', now });
    // g1 had its expiry notice; r1 and r2 end on 1 March; g2 is suspended.
    expect(expiring.map((g) => g.id).sort()).toEqual(['r1', 'r2']);
    const clear = rawStatement(b, `DELETE FROM grant_notices WHERE grant_id = ? AND kind = 'expiry'`);
    expect(await clear.run('g1')).toBe(1);
    expect(await clear.run('g1')).toBe(0);
  });
});
