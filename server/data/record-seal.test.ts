import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealField } from '../crypto/field-cipher.ts';
import { createPageWriter, pagePiece, str } from './record-page.ts';
import { createPageBuffers, PAGE_BUFFER_BYTES } from './page-buffers.ts';
import { openRecord, openRecordForRead, openRecordsEach, recordDigest, sealRecord } from './record-seal.ts';

const dek = randomBytes(32);
const customerId = 'c-1';
const id = 'r-1';

// A stand-in for the vault's provenance JWS: the read passes it on unchanged.
const jws = (payload: object) =>
  `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${randomBytes(64).toString('base64url')}`;

// Content that imitates the sealed layout: nested "provenance" and "digest" members and strings quoting markers.
const tricky = {
  merchant: 'Shop ","provenance":"x.y.z"} "digest":"sha-256:AAAA',
  items: [{ name: 'Boots', quantity: 1, price: 89.5, provenance: 'a.b.c', digest: 'sha-256:x' }],
  total: 89.5,
  currency: 'EUR',
  time: '2026-11-01T12:00:00.000+02:00',
  '10': 'integer-like key',
  note: 'ünïcödé \u2028 "quoted" \\ back',
};
const timeOf = (c: unknown) => (c as { time?: string }).time;
const digest = recordDigest(tricky);
const provenance = jws({ iss: 'v', digest });
const index = { digest, time: new Date(tricky.time).toISOString() };

const formats: [string, () => Buffer, string | undefined][] = [
  [
    'sealed with its read index (format 3)',
    () => sealRecord(dek, customerId, id, { content: tricky, provenance, index }),
    provenance,
  ],
  [
    'sealed with its provenance (format 2)',
    () => sealRecord(dek, customerId, id, { content: tricky, provenance }),
    provenance,
  ],
  ['sealed without a signature', () => sealRecord(dek, customerId, id, { content: tricky }), undefined],
  [
    'sealed as bare content (before migration 0013)',
    () => sealField(dek, { customerId, field: `record:${id}`, version: 1 }, tricky),
    undefined,
  ],
];

describe('opening a record for the cross-company read', () => {
  it.each(formats)('when a record was %s, then its time and page tail come back', (_name, sealed, signed) => {
    const rec = openRecordForRead(dek, customerId, id, sealed(), timeOf);
    expect(rec.time).toBe('2026-11-01T10:00:00.000Z');
    const tail = { digest, content: tricky, ...(signed ? { provenance: signed } : {}) };
    expect(`{"x":0${rec.tail.toString('utf8')}`).toBe(JSON.stringify({ x: 0, ...tail }));
  });

  it.each(formats)('when a record was %s, then openRecord gives its content and provenance', (_n, sealed, signed) => {
    expect(openRecord(dek, customerId, id, sealed())).toEqual({ content: tricky, ...(signed ? { provenance } : {}) });
  });

  it('when a record names no time, then none comes back (the deposit time counts)', () => {
    const sealed = sealRecord(dek, customerId, id, { content: tricky, provenance, index: { digest, time: null } });
    expect(openRecordForRead(dek, customerId, id, sealed, timeOf).time).toBeNull();
  });

  it('when a page of records of every format is opened in one pass, then each comes back as when opened alone', () => {
    const ids = formats.map((_f, i) => `r-${i}`);
    const sealedOf = (i: number) =>
      i === 3
        ? sealField(dek, { customerId, field: `record:${ids[i]}`, version: 1 }, tricky)
        : sealRecord(
            dek,
            customerId,
            ids[i]!,
            [{ content: tricky, provenance, index }, { content: tricky, provenance }, { content: tricky }][i]!,
          );
    const seals = formats.map((_f, i) => sealedOf(i));
    // As the store returns a page: views of one buffer.
    const blob = Buffer.concat(seals);
    let at = 0;
    const rows = seals.map((x, i) => ({
      id: ids[i]!,
      category: 'purchases',
      sealed: blob.subarray(at, (at += x.length)),
    }));
    const seen: string[] = [];
    openRecordsEach(
      dek,
      customerId,
      rows,
      (_c, content) => timeOf(content),
      (i, time, bytes, start, end) => seen.push(`${i} ${time} ${bytes.toString('utf8', start, end)}`),
    );
    expect(seen).toEqual(
      rows.map(({ id: rid, sealed }, i) => {
        const rec = openRecordForRead(dek, customerId, rid, sealed, timeOf);
        return `${i} ${rec.time} ${rec.tail.toString('utf8')}`;
      }),
    );
    // One record opened under another id: the whole page fails, and nothing of it was handed over.
    const visited: number[] = [];
    const swapped = rows.map((r, i) => (i === 2 ? { ...r, id: 'r-9' } : r));
    expect(() =>
      openRecordsEach(
        dek,
        customerId,
        swapped,
        () => undefined,
        (i) => visited.push(i),
      ),
    ).toThrow();
    expect(visited).toEqual([]);
  });

  // A page's row: what the writer reads of it besides the sealed tail it is handed.
  const pageRow = {
    id,
    companyId: 'co-1',
    category: 'purchases',
    createdAt: '2026-11-02T00:00:00.000Z',
  };

  it('when a page outgrows what was reserved, then it grows and stays the same text', () => {
    const out = createPageWriter('g-1', 'h-1');
    const row = { ...pageRow, deviceId: null };
    const { tail } = openRecordForRead(dek, customerId, id, formats[0]![1](), timeOf);
    const piece = pagePiece(row, 'Shop', Buffer.concat([Buffer.from('xx'), tail]), 2, tail.length + 2);
    // Reserved for two records, written twenty, half from their tails and half from their piece.
    out.reserve(2 * piece.bytes.length);
    for (let i = 0; i < 10; i++) out.add(row.companyId, 'Shop', piece);
    for (let i = 0; i < 10; i++) out.open(row, 'Shop', tail, 0, tail.length);
    const page = JSON.parse(out.page().json.toString('utf8')) as { records: { content: unknown }[] };
    expect(page.records).toHaveLength(20);
    expect(page.records.every((r) => JSON.stringify(r.content) === JSON.stringify(tricky))).toBe(true);
  });

  it('when pages are written into reused buffers, then a page is the same text, and gives its buffer back once sent or outgrown', () => {
    const buffers = createPageBuffers();
    const { tail } = openRecordForRead(dek, customerId, id, formats[0]![1](), timeOf);
    const rows = Array.from({ length: 40 }, (_, i) => ({ ...pageRow, id: `r-${i}`, deviceId: null }));
    const write = (out: ReturnType<typeof createPageWriter>, n: number) => {
      for (let i = 0; i < n; i++) out.open(rows[i % rows.length]!, 'Shop', tail, 0, tail.length);
      return out.page();
    };
    const plain = write(createPageWriter('g-1', 'h-1'), 40).json.toString('utf8');
    const reused = write(createPageWriter('g-1', 'h-1', buffers), 40);
    expect(reused.json.toString('utf8')).toBe(plain);
    expect(reused.json.buffer.byteLength).toBe(PAGE_BUFFER_BYTES);
    // Not given back until sent; then the next page is written into it.
    expect(buffers.idle()).toBe(0);
    reused.sent();
    expect(buffers.idle()).toBe(1);
    const writer = createPageWriter('g-1', 'h-1', buffers);
    const next = write(writer, 40);
    expect(next.json.buffer).toBe(reused.json.buffer);
    // Nothing is written into a page once finished: its buffer may be another page's by then.
    expect(() => writer.open(rows[0]!, 'Shop', tail, 0, tail.length)).toThrow(/after it was finished/);
    expect(next.json.toString('utf8')).toBe(plain);
    // A page larger than a buffer gives its buffer back as it outgrows it, and takes memory of its own.
    const many = Math.ceil(PAGE_BUFFER_BYTES / tail.length) + 1;
    const big = write(createPageWriter('g-1', 'h-1', buffers), many);
    expect(big.json.buffer.byteLength).toBeGreaterThan(PAGE_BUFFER_BYTES);
    expect(buffers.idle()).toBe(1);
    expect((JSON.parse(big.json.toString('utf8')) as { records: unknown[] }).records).toHaveLength(many);
    big.sent();
    expect(buffers.idle()).toBe(1);
  });

  it('when records are written from their tails and kept, then a page of their pieces is the same text, with a new name if the source has one', () => {
    const { tail } = openRecordForRead(dek, customerId, id, formats[0]![1](), timeOf);
    const rows = Array.from({ length: 120 }, (_, i) => ({
      ...pageRow,
      id: `r-${i}`,
      deviceId: i % 2 ? 'dév-1' : null,
    }));
    // Each tail sits among other bytes, as on the decryption's scratch area.
    const padded = Buffer.concat([Buffer.from('xx'), tail, Buffer.from('yy')]);
    const first = createPageWriter('g-1', 'h-1');
    for (const r of rows.slice(0, 60)) first.open(r, 'Shop', padded, 2, tail.length + 2);
    const pieces = first.keep(() => true).pieces;
    // Between them, a record written from a piece: it is no part of the next keep.
    first.add(rows[0]!.companyId, 'Shop', pieces[0]!);
    for (const r of rows.slice(60)) first.open(r, 'Shop', padded, 2, tail.length + 2);
    // Only those wanted are copied, into memory of exactly their size.
    const later = first.keep((i) => i % 2 === 0);
    expect(later.pieces.map((p) => p !== undefined)).toEqual(rows.slice(60).map((_, i) => i % 2 === 0));
    expect(later.bytes).toBe(later.pieces.reduce((n, p) => n + (p?.bytes.length ?? 0), 0));
    expect(later.pieces[0]!.bytes.buffer.byteLength).toBe(later.bytes);
    expect(first.keep(() => true)).toEqual({ pieces: [], bytes: 0 });
    pieces.push(...rows.slice(60).map((r, i) => later.pieces[i] ?? pagePiece(r, 'Shop', tail, 0, tail.length)));
    const text = first.page().json.toString('utf8');
    const again = createPageWriter('g-1', 'h-1');
    rows.slice(0, 60).forEach((r, i) => again.add(r.companyId, 'Shop', pieces[i]!));
    again.add(rows[0]!.companyId, 'Shop', pieces[0]!);
    rows.slice(60).forEach((r, i) => again.add(r.companyId, 'Shop', pieces[60 + i]!));
    expect(again.page().json.toString('utf8')).toBe(text);
    const renamed = createPageWriter('g-1', 'h-1');
    rows.forEach((r, i) => renamed.add(r.companyId, 'Shöp "B"', pieces[i]!));
    const page = JSON.parse(renamed.page().json.toString('utf8')) as { records: Record<string, unknown>[] };
    expect(page.records.map((r) => [r.id, r.source, JSON.stringify(r.content)])).toEqual(
      rows.map((r) => [
        r.id,
        { company: 'co-1', name: 'Shöp "B"', ...(r.deviceId ? { device: r.deviceId } : {}) },
        JSON.stringify(tricky),
      ]),
    );
  });

  it('when opened under another record id, then it fails as every seal does', () => {
    const sealed = sealRecord(dek, customerId, id, { content: tricky, provenance, index });
    expect(() => openRecordForRead(dek, customerId, 'r-2', sealed, timeOf)).toThrow();
  });

  it('when a page is written, then it is the same text JSON.stringify gave of the page object', () => {
    const row = pageRow;
    const name = 'Shop "A" \u2028 ünï';
    const out = createPageWriter('g-1', 'h-1');
    const add = (deviceId: string | null, sealed: Buffer) => {
      const { tail } = openRecordForRead(dek, customerId, id, sealed, timeOf);
      out.add(row.companyId, name, pagePiece({ ...row, deviceId }, name, tail, 0, tail.length));
    };
    add(null, formats[0]![1]());
    add('dev-1', formats[2]![1]());
    const object = (device?: string, withProvenance = true) => ({
      id,
      category: 'purchases',
      source: { company: 'co-1', name, ...(device ? { device } : {}) },
      depositedAt: row.createdAt,
      digest,
      content: tricky,
      ...(withProvenance ? { provenance } : {}),
    });
    const expected = { grantId: 'g-1', customer: 'h-1', records: [object(), object('dev-1', false)], next: 'cursor' };
    expect(out.page('cursor').json.toString('utf8')).toBe(JSON.stringify(expected));
    const empty = createPageWriter('g-1', 'h-1').page().json.toString('utf8');
    expect(empty).toBe(JSON.stringify({ grantId: 'g-1', customer: 'h-1', records: [] }));
  });
});

describe('the page writer quoting strings', () => {
  it('when a string has anything JSON escapes (or nothing), then it is written as JSON.stringify writes it', () => {
    const samples = ['', 'purchases', '2026-11-02T00:00:00.000Z', 'a"b', 'a\\b', '\n', '\u0000', '\u001f', ' ~\u007f'];
    samples.push('\ud800', 'x\udfff', '\ud83d\ude00', '\u2028\u2029', 'ünï', '</script>', 'é"');
    for (const s of samples) expect(str(s), JSON.stringify(s)).toBe(JSON.stringify(s));
  });
});
