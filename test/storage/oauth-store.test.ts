import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceStore } from '../../server/oauth/device/store.ts';
import { createOAuthPurge } from '../../server/oauth/purge.ts';
import { createOAuthStore } from '../../server/oauth/store.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/** The oauth/ stores (requests, codes, token families, refresh tokens, jtis, device codes, the sweep), on both back ends. */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const request = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  companyId: 'co-1',
  mode: 'front' as const,
  details: '[]',
  status: 'pushed' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:10:00.000Z',
  ...over,
});

describe.each(DIALECTS)('the oauth stores, on %s', (name) => {
  it('when requests are pushed, read, moved and closed, then each write counts the rows it changed', async () => {
    const s = createOAuthStore(backends.get(name));
    await s.insertRequest(request('r1', { redirectUriGiven: false, redirectUri: 'https://co/cb' }));
    await s.insertRequest(request('r2', { mode: 'backchannel', status: 'pending', customerId: 'cu-1' }));
    await s.insertRequest(request('r3', { mode: 'device', status: 'pending', customerId: 'cu-1' }));
    await s.insertRequest(request('r4', { mode: 'front', status: 'pending', customerId: 'cu-1' }));
    expect(await s.request('r1')).toMatchObject({ redirectUriGiven: false, customerId: null, state: null });
    expect((await s.request('r2'))?.redirectUriGiven).toBeNull();
    expect(await s.request('nope')).toBeUndefined();
    expect((await s.requestForCustomer('cu-1', 'r2'))?.id).toBe('r2');
    expect(await s.requestForCustomer('cu-2', 'r2')).toBeUndefined();
    expect((await s.pendingForCustomer('cu-1')).map((r) => r.id).sort()).toEqual(['r2', 'r3']);
    expect(await s.transitionRequest('r2', 'pushed', { status: 'approved' })).toBe(false);
    expect(await s.transitionRequest('r2', 'pending', { status: 'approved' })).toBe(true);
    await s.updateRequest('r1', { redirectUriGiven: true });
    expect((await s.request('r1'))?.redirectUriGiven).toBe(true);
    // r1 (pushed), r3 and r4 (pending) close; r2 (approved) does not.
    expect(await s.closeOpenRequestsOf('co-1')).toBe(3);
    expect(await s.closeOpenRequestsOf('co-1')).toBe(0);
  });

  it('when codes, families and refresh tokens are used, then each one-time use succeeds once and revocation keeps to its customer', async () => {
    const s = createOAuthStore(backends.get(name));
    const at = '2026-01-01T00:00:00.000Z';
    await s.insertCode({
      codeHash: 'c1',
      requestId: 'r1',
      grantId: 'g1',
      companyId: 'co-1',
      redirectUri: 'https://co/cb',
      codeChallenge: 'x',
      familyId: 'f1',
      expiresAt: '2026-01-01T00:01:00.000Z',
      customerId: 'cu-1',
    });
    expect(await s.code('c1')).toMatchObject({ usedAt: null, dpopJkt: null, customerId: 'cu-1' });
    expect(await s.useCode('c1', at)).toBe(true);
    expect(await s.useCode('c1', at)).toBe(false);
    const f1 = { id: 'f1', grantId: 'g1', customerId: 'cu-1', companyId: 'co-1', createdAt: at };
    const f2 = { id: 'f2', grantId: 'g2', customerId: 'cu-2', companyId: 'co-1', dpopJkt: 'jkt', createdAt: at };
    await s.insertFamily(f1);
    await s.insertFamily(f2);
    expect(await s.family('f1', 'cu-1')).toMatchObject({ id: 'f1', revokedAt: null });
    expect(await s.family('f1', 'cu-2')).toBeUndefined();
    const expiresAt = '2026-02-01T00:00:00.000Z';
    await s.insertRefresh({ tokenHash: 't1', familyId: 'f2', customerId: 'cu-2', createdAt: at, expiresAt });
    expect(await s.refresh('t1')).toEqual({
      tokenHash: 't1',
      familyId: 'f2',
      customerId: 'cu-2',
      createdAt: at,
      expiresAt,
      usedAt: null,
    });
    expect(await s.refreshWithFamily('t1')).toEqual({
      row: { tokenHash: 't1', familyId: 'f2', customerId: 'cu-2', createdAt: at, expiresAt, usedAt: null },
      family: {
        id: 'f2',
        grantId: 'g2',
        customerId: 'cu-2',
        companyId: 'co-1',
        dpopJkt: 'jkt',
        createdAt: at,
        revokedAt: null,
        revokedReason: null,
      },
    });
    expect(await s.refreshWithFamily('none')).toBeUndefined();
    expect(await s.useRefresh('t1', '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(await s.useRefresh('t1', '2026-01-03T00:00:00.000Z')).toBe(false);
    expect((await s.refreshWithFamily('t1'))?.row.usedAt).toBe('2026-01-02T00:00:00.000Z');
    // Another customer's family is not revoked by an id alone.
    expect(await s.revokeFamily('f2', 'cu-1', at, 'reused')).toBe(0);
    expect(await s.revokeFamily('f2', 'cu-2', at, 'reused')).toBe(1);
    expect(await s.revokeFamily('f2', 'cu-2', at, 'reused')).toBe(0);
    expect((await s.refreshWithFamily('t1'))?.family).toMatchObject({ revokedAt: at, revokedReason: 'reused' });
    await s.revokeJti('j1', expiresAt);
    await s.revokeJti('j1', expiresAt);
    expect(await s.isJtiRevoked('j1')).toBe(true);
    expect(await s.isJtiRevoked('j2')).toBe(false);
    // The company read's one statement: the jti's revocation and the family, the family only with its customer.
    const revokedF2 = { ...f2, revokedAt: at, revokedReason: 'reused' };
    expect(await s.jtiAndFamily('j1', 'f2', 'cu-2')).toEqual({ jtiRevoked: true, family: revokedF2 });
    expect(await s.jtiAndFamily('j2', 'f2', 'cu-2')).toEqual({ jtiRevoked: false, family: revokedF2 });
    expect(await s.jtiAndFamily('j2', 'f2', 'cu-1')).toEqual({ jtiRevoked: false, family: undefined });
    expect(await s.jtiAndFamily('j1', 'none', 'cu-2')).toEqual({ jtiRevoked: true, family: undefined });
    expect(await s.jtiAndFamily('j2', 'f1', 'cu-1')).toEqual({
      jtiRevoked: false,
      family: { ...f1, dpopJkt: null, revokedAt: null, revokedReason: null },
    });
  });

  it('when device codes are written and polled, then they are found by either hash and the sweep drops ended ones', async () => {
    const d = createDeviceStore(backends.get(name));
    const row = {
      requestId: 'dr1',
      companyId: 'co-1',
      deviceCodeHash: 'dc1',
      userCodeHash: 'uc1',
      intervalS: 5,
      expiresAt: '2026-01-01T00:10:00.000Z',
    };
    await d.insert(row);
    await d.insert({
      ...row,
      requestId: 'dr2',
      deviceCodeHash: 'dc2',
      userCodeHash: 'uc2',
      expiresAt: '2026-01-02T00:00:00.000Z',
    });
    expect(await d.byDeviceCode('dc1')).toEqual({ ...row, customerId: null, lastPollAt: null });
    await d.update('dr1', { customerId: 'cu-1', lastPollAt: '2026-01-01T00:01:00.000Z' });
    expect(await d.byUserCode('uc1')).toMatchObject({ customerId: 'cu-1', intervalS: 5 });
    expect(await d.byUserCode('none')).toBeUndefined();
    expect(await d.purgeBefore('2026-01-01T12:00:00.000Z')).toBe(1);
    expect(await d.purgeBefore('2026-01-01T12:00:00.000Z')).toBe(0);
    expect(await d.byDeviceCode('dc1')).toBeUndefined();
  });

  it('when the sweep runs, then what ended an hour ago goes, used refresh tokens a day after use, and live rows stay', async () => {
    const b = backends.get(name);
    const s = createOAuthStore(b);
    const purge = createOAuthPurge(b);
    const old = '2026-03-01T00:00:00.000Z';
    const live = '2026-04-01T00:00:00.000Z';
    await s.insertRequest(request('p-old', { expiresAt: old }));
    await s.insertRequest(request('p-live', { expiresAt: live }));
    // An ended family (its only token expired), a revoked one, and a live one with a long-used token.
    await s.insertFamily({ id: 'pf-ended', grantId: 'g', customerId: 'cu-9', companyId: 'co-9', createdAt: old });
    await s.insertRefresh({
      tokenHash: 'pt-ended',
      familyId: 'pf-ended',
      customerId: 'cu-9',
      createdAt: old,
      expiresAt: old,
    });
    await s.insertFamily({ id: 'pf-rev', grantId: 'g', customerId: 'cu-9', companyId: 'co-9', createdAt: old });
    await s.insertRefresh({
      tokenHash: 'pt-rev',
      familyId: 'pf-rev',
      customerId: 'cu-9',
      createdAt: old,
      expiresAt: live,
    });
    await s.revokeFamily('pf-rev', 'cu-9', old, 'reused');
    await s.insertFamily({ id: 'pf-live', grantId: 'g', customerId: 'cu-9', companyId: 'co-9', createdAt: old });
    await s.insertRefresh({
      tokenHash: 'pt-used',
      familyId: 'pf-live',
      customerId: 'cu-9',
      createdAt: old,
      expiresAt: live,
    });
    await s.useRefresh('pt-used', old);
    await s.insertRefresh({
      tokenHash: 'pt-live',
      familyId: 'pf-live',
      customerId: 'cu-9',
      createdAt: old,
      expiresAt: live,
    });
    await s.revokeJti('pj-old', old);
    await s.revokeJti('pj-live', live);
    const counts = await purge(new Date('2026-03-03T00:00:00.000Z'));
    // Earlier tests' rows (expiring in January and February) go too; this test's counts are the lower bounds.
    expect(counts.tokenFamilies).toBeGreaterThanOrEqual(2);
    expect(counts.refreshTokens).toBeGreaterThanOrEqual(3);
    expect(await s.request('p-old')).toBeUndefined();
    expect(await s.request('p-live')).toBeDefined();
    expect(await s.family('pf-ended', 'cu-9')).toBeUndefined();
    expect(await s.family('pf-rev', 'cu-9')).toBeUndefined();
    expect(await s.family('pf-live', 'cu-9')).toBeDefined();
    for (const t of ['pt-ended', 'pt-rev', 'pt-used']) expect(await s.refresh(t)).toBeUndefined();
    expect(await s.refresh('pt-live')).toBeDefined();
    expect(await s.isJtiRevoked('pj-old')).toBe(false);
    expect(await s.isJtiRevoked('pj-live')).toBe(true);
    expect(await purge(new Date('2026-03-03T00:00:00.000Z'))).toEqual({
      authRequests: 0,
      authCodes: 0,
      tokenFamilies: 0,
      refreshTokens: 0,
      revokedJtis: 0,
    });
  });
});
