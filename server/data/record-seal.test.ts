import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealField } from '../crypto/field-cipher.ts';
import { pageJson, recordJson } from './record-page.ts';
import { openRecordForRead, recordDigest, sealRecord } from './record-seal.ts';

const dek = randomBytes(32);
const customerId = 'c-1';
const id = 'r-1';

// A stand-in for the vault's provenance JWS: only its payload's digest matters to the read.
const jws = (payload: object) =>
  `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${randomBytes(64).toString('base64url')}`;

// Content that imitates the sealed layout: a nested "provenance" member and strings quoting the markers.
const tricky = {
  merchant: 'Shop ","provenance":"x.y.z"} "digest":"sha-256:AAAA',
  items: [{ name: 'Boots', quantity: 1, price: 89.5, provenance: 'a.b.c' }],
  total: 89.5,
  currency: 'EUR',
  time: '2026-11-01T10:00:00.000Z',
  '10': 'integer-like key',
  note: 'ünïcödé \u2028 "quoted" \\ back',
};

describe('opening a record for the cross-company read', () => {
  it('when a record was sealed with its provenance, then the content, its JSON text and the signed digest come back', () => {
    const provenance = jws({
      iss: 'v',
      source: { name: '"digest":"sha-256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"' },
      digest: recordDigest(tricky),
    });
    const rec = openRecordForRead(
      dek,
      customerId,
      id,
      sealRecord(dek, customerId, id, { content: tricky, provenance }),
    );
    expect(rec.content).toEqual(tricky);
    expect(rec.contentJson).toBe(JSON.stringify(tricky));
    expect(rec.provenance).toBe(provenance);
    expect(rec.digest).toBe(recordDigest(tricky));
  });

  it.each([
    [
      'sealed as bare content (before migration 0013)',
      () => sealField(dek, { customerId, field: `record:${id}`, version: 1 }, tricky),
    ],
    ['sealed without a signature', () => sealRecord(dek, customerId, id, { content: tricky })],
    [
      'with a signature whose payload names no digest',
      () => sealRecord(dek, customerId, id, { content: tricky, provenance: jws({ iss: 'v' }) }),
    ],
  ])('when a record was %s, then its digest is computed from the content', (_name, sealed) => {
    const rec = openRecordForRead(dek, customerId, id, sealed());
    expect(rec.content).toEqual(tricky);
    expect(rec.contentJson).toBe(JSON.stringify(tricky));
    expect(rec.digest).toBe(recordDigest(tricky));
  });

  it('when opened under another record id, then it fails as every seal does', () => {
    const sealed = sealRecord(dek, customerId, id, {
      content: tricky,
      provenance: jws({ digest: recordDigest(tricky) }),
    });
    expect(() => openRecordForRead(dek, customerId, 'r-2', sealed)).toThrow();
  });

  it('when a page is written, then it is the same text JSON.stringify gave of the page object', () => {
    const provenance = jws({ digest: recordDigest(tricky) });
    const rec = openRecordForRead(
      dek,
      customerId,
      id,
      sealRecord(dek, customerId, id, { content: tricky, provenance }),
    );
    const row = {
      id,
      companyId: 'co-1',
      category: 'purchases',
      sealed: Buffer.alloc(0),
      createdAt: '2026-11-02T00:00:00.000Z',
    };
    const name = 'Shop "A" \u2028 ünï';
    const page = pageJson(
      'g-1',
      'h-1',
      [
        recordJson({ ...row, deviceId: null }, rec, name),
        recordJson({ ...row, deviceId: 'dev-1' }, { ...rec, provenance: undefined }, name),
      ],
      'cursor',
    );
    const object = (device?: string, withProvenance = true) => ({
      id,
      category: 'purchases',
      content: tricky,
      source: { company: 'co-1', name, ...(device ? { device } : {}) },
      depositedAt: row.createdAt,
      digest: rec.digest,
      ...(withProvenance ? { provenance } : {}),
    });
    const expected = { grantId: 'g-1', customer: 'h-1', records: [object(), object('dev-1', false)], next: 'cursor' };
    expect(page.json).toBe(JSON.stringify(expected));
    expect(pageJson('g-1', 'h-1', []).json).toBe(JSON.stringify({ grantId: 'g-1', customer: 'h-1', records: [] }));
  });
});
