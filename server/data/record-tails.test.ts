import { afterEach, describe, expect, it, vi } from 'vitest';
import { pagePiece } from './record-page.ts';
import { createRecordTails, PAGES_KEPT, type RecordTails, TAILS_TTL_MS } from './record-tails.ts';
import type { SharedRow } from './record-store.ts';

const row = (id: string, more: Partial<SharedRow> = {}): SharedRow => ({
  id,
  companyId: 'co-1',
  category: 'purchases',
  createdAt: '2026-11-02T00:00:00.000Z',
  deviceId: null,
  ...more,
});
// A tail of `n` bytes, as the decryption hands it over: bytes 2..n+2 of a larger buffer.
const tail = (n: number) => Buffer.concat([Buffer.from('xx'), Buffer.alloc(n, 0x61), Buffer.from('yy')]);
const put = (set: ReturnType<RecordTails['of']>, r: SharedRow, n = 10) => {
  const piece = pagePiece(r, 'Shop', tail(n), 2, n + 2);
  set.keepAll([{ row: r, time: '2026-11-01T00:00:00.000Z', piece }], piece.bytes.length);
  return piece;
};

describe('opened records kept for the records read', () => {
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    vi.useRealTimers();
  });

  it('when a record is kept, then a read with the same data key gets its piece, and one with another key does not', () => {
    const tails = createRecordTails();
    stop = tails.stop;
    const dek = new Uint8Array(32);
    put(tails.of('cu-1', dek), row('r1'));
    const kept = tails.of('cu-1', dek).get('r1');
    expect(kept?.time).toBe('2026-11-01T00:00:00.000Z');
    expect(kept?.piece.bytes.toString()).toBe(
      '{"id":"r1","category":"purchases","source":{"company":"co-1","name":"Shop"},"depositedAt":"2026-11-02T00:00:00.000Z"aaaaaaaaaa',
    );
    expect(kept?.piece.split).toBe('{"id":"r1","category":"purchases","source":{"company":"co-1","name":'.length);
    // Another customer's is not it.
    expect(tails.of('cu-2', dek).get('r1')).toBeUndefined();
    // A rewrapped key comes back from dekOf as a new array, equal bytes or not: what the old one opened is dropped.
    expect(tails.of('cu-1', new Uint8Array(32)).get('r1')).toBeUndefined();
    expect(tails.of('cu-1', dek).get('r1')).toBeUndefined();
    expect(tails.bytes()).toBe(0);
  });

  it('when the time is up, then a customer’s records are dropped, at the next read or by the timer', () => {
    vi.useFakeTimers();
    let now = 1_000_000;
    const tails = createRecordTails({ now: () => now });
    stop = tails.stop;
    const dek = new Uint8Array(32);
    put(tails.of('cu-1', dek), row('r1'));
    now += TAILS_TTL_MS - 1;
    expect(tails.of('cu-1', dek).get('r1')).toBeDefined();
    now += 1;
    expect(tails.of('cu-1', dek).get('r1')).toBeUndefined();
    put(tails.of('cu-1', dek), row('r2'));
    expect(tails.bytes()).toBeGreaterThan(0);
    now += TAILS_TTL_MS;
    vi.advanceTimersByTime(60_000);
    expect(tails.bytes()).toBe(0);
  });

  it('when the bytes would pass the bound, then the oldest other customers go first, and never the reader’s own', () => {
    const tails = createRecordTails({ maxBytes: 500 });
    stop = tails.stop;
    const dek = new Uint8Array(32);
    const a = tails.of('cu-a', dek);
    put(a, row('a1'), 100);
    const b = tails.of('cu-b', dek);
    put(b, row('b1'), 100);
    expect(tails.bytes()).toBeLessThanOrEqual(500);
    // A third piece does not fit beside the two: cu-a, the oldest, goes.
    const c = tails.of('cu-c', dek);
    const c1 = put(c, row('c1'), 100);
    expect(tails.of('cu-a', dek).get('a1')).toBeUndefined();
    expect(tails.of('cu-b', dek).get('b1')).toBeDefined();
    expect(tails.of('cu-c', dek).get('c1')?.piece).toBe(c1);
    // Another of cu-c's: cu-b goes, never cu-c's own.
    const more = tails.of('cu-c', dek);
    const c2 = put(more, row('c2'), 100);
    expect(tails.of('cu-b', dek).get('b1')).toBeUndefined();
    expect(tails.of('cu-c', dek).get('c1')?.piece).toBe(c1);
    expect(tails.of('cu-c', dek).get('c2')?.piece).toBe(c2);
    // A piece larger than all the room is not kept, and drops nothing.
    const big = tails.of('cu-c', dek);
    const huge = put(big, row('c3'), 1000);
    expect(huge.bytes.length).toBeGreaterThan(500);
    expect(tails.of('cu-c', dek).get('c3')).toBeUndefined();
    expect(tails.of('cu-c', dek).get('c1')?.piece).toBe(c1);
    expect(tails.bytes()).toBe(c1.bytes.length + c2.bytes.length);
    // The reader's own customer the oldest: the next oldest goes instead.
    const fresh = createRecordTails({ maxBytes: 500 });
    const d1 = put(fresh.of('cu-d', dek), row('d1'), 100);
    put(fresh.of('cu-e', dek), row('e1'), 100);
    put(fresh.of('cu-d', dek), row('d2'), 100);
    expect(fresh.of('cu-d', dek).get('d1')?.piece).toBe(d1);
    expect(fresh.of('cu-d', dek).get('d2')).toBeDefined();
    expect(fresh.of('cu-e', dek).get('e1')).toBeUndefined();
    fresh.stop();
  });

  it('when a read keeps nothing, then nothing is held for the customer, not even their key', () => {
    const tails = createRecordTails();
    stop = tails.stop;
    for (const c of ['cu-1', 'cu-2', 'cu-3']) expect(tails.of(c, new Uint8Array(32)).empty()).toBe(true);
    expect(tails.customers()).toBe(0);
    const none = createRecordTails({ maxBytes: 0 });
    const set = none.of('cu-1', new Uint8Array(32));
    expect(set.keeps).toBe(false);
    put(set, row('r1'));
    expect([none.customers(), none.bytes()]).toEqual([0, 0]);
    none.stop();
  });

  it('when a fetched row is kept, then its own columns are kept and not its sealed blob', () => {
    const tails = createRecordTails();
    stop = tails.stop;
    const dek = new Uint8Array(32);
    put(tails.of('cu-1', dek), { ...row('r1'), sealed: Buffer.alloc(5000) } as SharedRow);
    expect(tails.of('cu-1', dek).get('r1')?.row).toEqual(row('r1'));
  });

  it('when a customer is forgotten, then their records are dropped at once', () => {
    const tails = createRecordTails();
    stop = tails.stop;
    const dek = new Uint8Array(32);
    put(tails.of('cu-1', dek), row('r1'));
    put(tails.of('cu-2', dek), row('r2'));
    tails.forget('cu-1');
    expect(tails.of('cu-1', dek).get('r1')).toBeUndefined();
    expect(tails.of('cu-2', dek).get('r2')).toBeDefined();
  });

  it('when a page of ids is kept, then it is given at its records version only, beside records kept, and counted', () => {
    const tails = createRecordTails({ maxBytes: 5000 });
    stop = tails.stop;
    const dek = new Uint8Array(32);
    // Nothing kept of the customer's yet: their page's ids are not kept either.
    tails.of('cu-1', dek).keepIds('page', 7, ['r1']);
    expect([tails.customers(), tails.bytes()]).toEqual([0, 0]);
    const piece = put(tails.of('cu-1', dek), row('r1'));
    tails.of('cu-1', dek).keepIds('page', 7, ['r1', 'r2']);
    expect(tails.of('cu-1', dek).idsAt('page', 7)).toEqual(['r1', 'r2']);
    expect(tails.of('cu-1', dek).idsAt('page', 8)).toBeUndefined();
    expect(tails.of('cu-1', dek).idsAt('another page', 7)).toBeUndefined();
    expect(tails.bytes()).toBeGreaterThan(piece.bytes.length);
    // At another version the page is kept anew, in place of the old one.
    tails.of('cu-1', dek).keepIds('page', 8, ['r2']);
    expect(tails.of('cu-1', dek).idsAt('page', 7)).toBeUndefined();
    expect(tails.of('cu-1', dek).idsAt('page', 8)).toEqual(['r2']);
    const one = tails.bytes() - piece.bytes.length;
    // At most PAGES_KEPT pages: the oldest goes; a page past the bound is not kept.
    for (let i = 0; i < PAGES_KEPT; i++) tails.of('cu-1', dek).keepIds(`pag${i}`, 8, ['r2']);
    expect(tails.of('cu-1', dek).idsAt('page', 8)).toBeUndefined();
    expect(tails.of('cu-1', dek).idsAt(`pag${PAGES_KEPT - 1}`, 8)).toEqual(['r2']);
    expect(tails.bytes()).toBe(piece.bytes.length + PAGES_KEPT * one);
    tails.of('cu-1', dek).keepIds('long', 8, Array(100).fill('r1'));
    expect(tails.of('cu-1', dek).idsAt('long', 8)).toBeUndefined();
    // A long key (a cursor is a company's to choose) counts too.
    tails.of('cu-1', dek).keepIds('pag0', 9, ['r2']);
    expect(tails.bytes()).toBe(piece.bytes.length + PAGES_KEPT * one);
    tails.of('cu-1', dek).keepIds('pag0', 9, []);
    tails.of('cu-1', dek).keepIds('p'.repeat(300), 9, []);
    expect(tails.bytes()).toBeGreaterThanOrEqual(piece.bytes.length + (PAGES_KEPT - 2) * one + 600);
    // Another key, or the customer forgotten: the pages go with the records.
    expect(tails.of('cu-1', new Uint8Array(32)).idsAt(`pag1`, 9)).toBeUndefined();
    expect(tails.bytes()).toBe(0);
    put(tails.of('cu-1', dek), row('r1'));
    tails.of('cu-1', dek).keepIds('page', 9, ['r1']);
    tails.forget('cu-1');
    expect(tails.of('cu-1', dek).idsAt('page', 9)).toBeUndefined();
    expect(tails.bytes()).toBe(0);
  });
});
