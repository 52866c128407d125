import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKeyringCoversData, kekSample } from '../../server/crypto/key-files.ts';
import { createCustomerPurge } from '../../server/customers/purge.ts';
import { createCustomerStore } from '../../server/customers/store.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/**
 * The customers store written once (ARCHITECTURE.md, "How to add a storage back end", step 3): raw lookups with
 * camelCase aliases, blobs, the upsert, the inbox's JSON test and ordering, the batched purge and the keyring's
 * one-key-per-KEK sample answer alike on both dialects.
 */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const customer = (id: string, kekId: string) => ({
  id,
  handle: `h-${id}`,
  loginIndex: `l-${id}`,
  passwordHash: 'p',
  kekId,
  wrappedDek: Buffer.from([1, 2, 3, 0, 255]),
  criteria: '{"blockedCompanies":[]}',
  createdAt: '2026-01-01T00:00:00.000Z',
});
const AT = '2026-01-01T00:00:00.000Z';

describe.each(DIALECTS)('the customers store on %s', (name) => {
  it('when customers are written, then the raw lookups answer named columns and blobs alike', async () => {
    const s = createCustomerStore(backends.get(name));
    await s.insertCustomer(customer('u1', 'k1'));
    await s.insertCustomer(customer('u2', 'k1'));
    await s.insertCustomer(customer('u3', 'k2'));
    expect(await s.customerByHandle('h-u1')).toEqual({ id: 'u1' });
    expect(await s.customerByHandle('nobody')).toBeUndefined();
    expect(await s.wrappedKeyOf('u1')).toEqual({ kekId: 'k1', wrappedDek: Buffer.from([1, 2, 3, 0, 255]) });
    expect(await s.criteriaOf('u1')).toBe('{"blockedCompanies":[]}');
    expect(await s.criteriaOf('nobody')).toBeUndefined();
    expect((await s.customerById('u2'))?.loginIndex).toBe('l-u2');
    expect((await s.customerByLogin('l-u3'))?.id).toBe('u3');
    await s.setCriteria('u1', '{}');
    expect(await s.criteriaOf('u1')).toBe('{}');
    expect(await s.rewrapDek('u1', 'k9', 'k2', Buffer.from([9]))).toBe(0);
    expect(await s.rewrapDek('u1', 'k1', 'k2', Buffer.from([9]))).toBe(1);
    expect((await s.allWrappedDeks()).find((c) => c.id === 'u1')).toEqual({
      id: 'u1',
      kekId: 'k2',
      wrappedDek: Buffer.from([9]),
    });
    const sample = await kekSample(backends.get(name));
    expect(sample.map((x) => x.kekId).sort()).toEqual(['k1', 'k2']);
    for (const x of sample) expect(Buffer.isBuffer(x.wrapped) && typeof x.id === 'string').toBe(true);
    if (name === 'sqlite') {
      const keyring = { missing: () => ['k1'], unwrapDek: () => new Uint8Array(1) };
      expect(() => checkKeyringCoversData(backends.sqliteDb!, keyring as never, 'keyring.json')).toThrow(/k1/);
    }
  });

  it('when fields are upserted, cleared and read, then versions, blobs and the non-empty filter hold', async () => {
    const s = createCustomerStore(backends.get(name));
    await s.insertCustomer(customer('f1', 'k1'));
    await s.upsertField({ customerId: 'f1', field: 'email', version: 1, sealed: Buffer.from('a'), updatedAt: AT });
    await s.upsertField({ customerId: 'f1', field: 'email', version: 2, sealed: Buffer.from('bb'), updatedAt: AT });
    await s.upsertField({ customerId: 'f1', field: 'phone', version: 1, sealed: Buffer.from('c'), updatedAt: AT });
    await s.upsertField({ customerId: 'f1', field: 'city', version: 1, sealed: Buffer.from('d'), updatedAt: AT });
    await s.clearField('f1', 'phone', 2, '2026-01-02T00:00:00.000Z');
    expect((await s.field('f1', 'phone'))?.version).toBe(2);
    expect((await s.field('f1', 'phone'))?.sealed).toEqual(Buffer.alloc(0));
    expect((await s.fields('f1')).sort((a, b) => a.field.localeCompare(b.field))).toEqual([
      { field: 'city', version: 1, sealed: Buffer.from('d'), updatedAt: AT, customerId: 'f1' },
      { field: 'email', version: 2, sealed: Buffer.from('bb'), updatedAt: AT, customerId: 'f1' },
    ]);
    expect(await s.sealedFields('f1', ['email', 'phone'])).toEqual([
      { field: 'email', version: 2, sealed: Buffer.from('bb') },
    ]);
    expect(await s.sealedFields('f1', [])).toEqual([]);
  });

  it('when inbox messages are written, then order, the JSON company test, marking read and the purge agree', async () => {
    const b = backends.get(name);
    const s = createCustomerStore(b);
    const msg = (id: string, kind: string, companyId: string, createdAt: string) =>
      s.insertInbox({ id, customerId: 'm1', kind, body: JSON.stringify({ companyId }), createdAt });
    await msg('z-first', 'request.pending', 'c1', '2026-01-01T00:00:00.000Z');
    await msg('a-second', 'request.pending', 'c2', '2026-01-01T00:00:00.000Z');
    await msg('m-newest', 'grant.approved', 'c1', '2026-01-03T00:00:00.000Z');
    expect((await s.inbox('m1')).map((m) => m.id)).toEqual(['m-newest', 'a-second', 'z-first']);
    expect(await s.hasUnreadAbout('m1', 'request.pending', 'c1')).toBe(true);
    expect(await s.hasUnreadAbout('m1', 'request.pending', 'c3')).toBe(false);
    expect(await s.markInboxRead('other', 'z-first', AT)).toBe(0);
    expect(await s.markInboxRead('m1', 'z-first', AT)).toBe(1);
    expect(await s.hasUnreadAbout('m1', 'request.pending', 'c1')).toBe(false);

    await s.insertSession({
      idHash: 's-old',
      subjectKind: 'customer',
      subjectId: 'm1',
      csrfHash: 'x',
      createdAt: AT,
      expiresAt: '2026-01-01T01:00:00.000Z',
      customerId: 'm1',
    });
    await s.insertSession({
      idHash: 's-live',
      subjectKind: 'auditor',
      subjectId: 'a1',
      csrfHash: 'x',
      createdAt: AT,
      expiresAt: '2026-01-09T00:00:00.000Z',
    });
    expect((await s.sessionByHash('s-live'))?.customerId).toBeNull();
    const purge = createCustomerPurge(b, { 'request.pending': 24 * 3600 });
    expect(await purge(new Date('2026-01-02T12:00:00.000Z'))).toEqual({ sessions: 1, inbox: 2 });
    expect(await s.sessionByHash('s-old')).toBeUndefined();
    expect((await s.inbox('m1')).map((m) => m.id)).toEqual(['m-newest']);
    expect(await s.deleteExpiredSessions('2026-01-10T00:00:00.000Z')).toBe(1);
  });

  it('when a customer is deleted, then its rows go and an auditor is found by login and id', async () => {
    const s = createCustomerStore(backends.get(name));
    await s.insertCustomer(customer('d1', 'k1'));
    const sealed = Buffer.from('r');
    await s.insertRecord({
      id: 'r1',
      customerId: 'd1',
      companyId: 'c',
      grantId: 'g',
      category: 'x',
      sealed,
      createdAt: AT,
    });
    await s.insertRecord({
      id: 'r2',
      customerId: 'd1',
      companyId: 'c',
      grantId: 'h',
      category: 'x',
      sealed,
      createdAt: AT,
    });
    expect(await s.recordIdsOfGrant('d1', 'g')).toEqual(['r1']);
    expect((await s.records('d1')).map((r) => r.sealed)).toEqual([sealed, sealed]);
    await s.deleteCustomer('d1');
    expect(await s.customerById('d1')).toBeUndefined();
    expect(await s.records('d1')).toEqual([]);
    await s.insertAuditor({ id: 'a1', loginIndex: 'al', passwordHash: 'p', createdAt: AT });
    expect((await s.auditorByLogin('al'))?.id).toBe('a1');
    expect((await s.auditorById('a1'))?.loginIndex).toBe('al');
    expect(await s.auditorById('none')).toBeUndefined();
  });
  it('when a unit reads a customer by handle, then it keeps the row until the unit ends, a write or an undo', async () => {
    const b = backends.get(name);
    const s = createCustomerStore(b);
    await s.insertCustomer(customer('m1', 'k1'));
    // Behind the store's back, so that only a kept row can still answer the old criteria.
    const sneak = (criteria: string) =>
      rawStatement(b, 'UPDATE customers SET criteria = ? WHERE id = ?').run(criteria, 'm1');
    const seen = await b.inTransaction(async () => {
      expect(await s.customerByHandle('h-m1')).toEqual({ id: 'm1' });
      await sneak('{"sneaked":1}');
      const kept = await s.criteriaOf('m1');
      const key = await s.wrappedKeyOf('m1');
      // A write through the store forgets the row: the next read sees what was written.
      await s.setCriteria('m1', '{"written":1}');
      const written = await s.criteriaOf('m1');
      // A nested unit that writes, reads the row again (kept once more) and is undone: the kept row goes with it.
      await expect(
        b.inTransaction(async () => {
          await s.setCriteria('m1', '{"undone":1}');
          await s.customerByHandle('h-m1');
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      const afterUndo = await s.criteriaOf('m1');
      return { kept, key, written, afterUndo };
    });
    expect(seen).toEqual({
      kept: '{"blockedCompanies":[]}',
      key: { kekId: 'k1', wrappedDek: Buffer.from([1, 2, 3, 0, 255]) },
      written: '{"written":1}',
      afterUndo: '{"written":1}',
    });
    // Nothing kept outlives its unit: the next unit, and a read outside any, see the row as it is.
    await b.inTransaction(async () => {
      await s.customerByHandle('h-m1');
      await sneak('{"later":1}');
    });
    expect(await s.criteriaOf('m1')).toBe('{"later":1}');
    expect(await b.inTransaction(() => s.criteriaOf('m1'))).toBe('{"later":1}');
  });
});
