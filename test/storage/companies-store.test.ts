import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompanyStore } from '../../server/companies/store.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/**
 * The companies store written once (ARCHITECTURE.md, "How to add a storage back end", step 3): its raw statements
 * (counts, coalesce, ordering), its fast lookups (booleans) and its conditional updates answer alike on both dialects.
 */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const company = (id: string, createdAt: string, dpopBound: boolean) => ({
  id,
  name: `Name ${id}`,
  status: 'active' as const,
  authMethod: 'client_secret_basic' as const,
  secretHash: 'h',
  jwks: null,
  redirectUris: '[]',
  dpopBound,
  termsVersion: 1,
  registrationTokenHash: `r-${id}`,
  createdAt,
});

describe.each(DIALECTS)('the companies store on %s', (name) => {
  it('when companies are written, then lookups answer booleans, numbers and order alike', async () => {
    const s = createCompanyStore(backends.get(name));
    await s.insertCompany(company('c2', '2026-01-02T00:00:00.000Z', false));
    await s.insertCompany(company('c1', '2026-01-02T00:00:00.000Z', true));
    await s.insertCompany(company('c0', '2026-01-03T00:00:00.000Z', false));
    expect((await s.companyById('c1'))?.dpopBound).toBe(true);
    expect((await s.companyById('c2'))?.dpopBound).toBe(false);
    expect(await s.companyById('none')).toBeUndefined();
    expect((await s.allCompanies()).map((c) => c.id)).toEqual(['c1', 'c2', 'c0']);
    await s.updateCompany('c1', { termsVersion: 3, status: 'disabled' });
    expect(await s.currentTermsVersion('c1')).toBe(3);
    expect(await s.currentTermsVersion('none')).toBeUndefined();
    expect((await s.companyById('c1'))?.status).toBe('disabled');
  });

  it('when names and terms are versioned, then the next version, the name at a time and the recent counts are right', async () => {
    const s = createCompanyStore(backends.get(name));
    expect(await s.insertName('c1', 'Acme', '2026-01-01T00:00:00.000Z')).toBe(1);
    expect(await s.insertName('c1', 'Acme Two', '2026-02-01T00:00:00.000Z')).toBe(2);
    expect(await s.insertName('c1', 'Acme Three', '2026-03-01T00:00:00.000Z')).toBe(3);
    expect(await s.insertName('c2', 'Acme', '2026-01-01T00:00:00.000Z')).toBe(1);
    expect(await s.nameAt('c1', '2026-02-15T00:00:00.000Z')).toBe('Acme Two');
    expect(await s.nameAt('c1', '2025-01-01T00:00:00.000Z')).toBeUndefined();
    expect((await s.namesOfOthers('c2')).sort()).toEqual(['Acme', 'Acme Three', 'Acme Two']);
    expect(await s.namesOfOthers('c1')).toEqual(['Acme']);
    expect(await s.namesSince('c1', '2026-01-15T00:00:00.000Z')).toEqual({ n: 2, first: '2026-02-01T00:00:00.000Z' });
    expect(await s.namesSince('c2', '2025-01-01T00:00:00.000Z')).toEqual({ n: 0, first: null });

    for (const [version, createdAt] of [
      [1, '2026-01-01T00:00:00.000Z'],
      [2, '2026-02-01T00:00:00.000Z'],
    ] as const)
      await s.insertTerms({ companyId: 'c1', version, terms: `{"v":${version}}`, createdAt });
    expect(await s.termsAt('c1', 2)).toEqual({
      companyId: 'c1',
      version: 2,
      terms: '{"v":2}',
      createdAt: '2026-02-01T00:00:00.000Z',
    });
    expect(await s.termsAt('c1', 9)).toBeUndefined();
    expect(await s.termsSince('c1', '2025-01-01T00:00:00.000Z')).toEqual({ n: 1, first: '2026-02-01T00:00:00.000Z' });
    expect(await s.termsSince('c1', '2026-03-01T00:00:00.000Z')).toEqual({ n: 0, first: null });
  });

  it('when an initial access token is consumed and purged, then the counts say who won and what went', async () => {
    const s = createCompanyStore(backends.get(name));
    const at = '2026-01-01T00:00:00.000Z';
    await s.insertInitialToken({ tokenHash: 't1', label: 'one', createdAt: at, expiresAt: '2026-01-02T00:00:00.000Z' });
    await s.insertInitialToken({ tokenHash: 't2', label: 'two', createdAt: at, expiresAt: '2026-01-05T00:00:00.000Z' });
    expect(await s.consumeInitialToken('t1', '2026-01-03T00:00:00.000Z')).toBe(0);
    expect(await s.consumeInitialToken('t2', '2026-01-03T00:00:00.000Z')).toBe(1);
    expect(await s.consumeInitialToken('t2', '2026-01-03T00:00:00.000Z')).toBe(0);
    expect((await s.initialToken('t2'))?.usedAt).toBe('2026-01-03T00:00:00.000Z');
    expect((await s.initialToken('t1'))?.usedAt).toBeNull();
    expect(await s.initialToken('none')).toBeUndefined();
    expect(await s.purgeExpiredInitialTokens('2026-01-04T00:00:00.000Z')).toBe(1);
    expect(await s.initialToken('t1')).toBeUndefined();
  });
});
