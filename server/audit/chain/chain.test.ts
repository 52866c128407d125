import { describe, expect, it } from 'vitest';
import { canonical, chainHash, GENESIS_HASH, isHashHex, nextLink } from './chain.ts';
import type { AuditEvent } from './event.ts';

const event: AuditEvent = {
  time: '2025-01-01T00:00:00.000Z',
  seq: 3,
  action: 'data.read',
  actor: { kind: 'company', id: 'cmp_1' },
  fields: ['contact.email'],
  purpose: undefined,
};

describe('canonical', () => {
  it('when keys are in any order, then the text has them sorted with no whitespace (RFC 8785)', () => {
    expect(canonical(event)).toBe(
      '{"action":"data.read","actor":{"id":"cmp_1","kind":"company"},"fields":["contact.email"],"seq":3,"time":"2025-01-01T00:00:00.000Z"}',
    );
  });

  it('when an optional field is undefined, then it hashes the same as when it is absent', () => {
    const { purpose: _unused, ...without } = event;
    expect(canonical(event)).toBe(canonical(without));
  });

  it('when a string holds a lone surrogate, then canonicalisation refuses it rather than mangling it', () => {
    expect(() => canonical({ ...event, purpose: '\ud800' })).toThrow();
  });
});

describe('chainHash', () => {
  it('when hashing, then it is SHA-256 over the raw prev bytes and the UTF-8 text (vectors from Python hashlib)', () => {
    const first = chainHash(GENESIS_HASH, '{}');
    expect(first).toBe('fb1634c4e6cd4b1f1afe3ce2d6ef080f7ac5d1f357d723ad4dfca782733b62db');
    expect(chainHash(first, '{"purpose":"café"}')).toBe(
      'c25cb1ca788c5c0e352be7ac4941ce2af0bd80ba3c484449831d1567a0998231',
    );
  });

  it.each([
    ['short', 'abc'],
    ['uppercase', 'A'.repeat(64)],
    ['not hex', 'g'.repeat(64)],
  ])('when prev is %s, then it throws instead of hashing a truncated prefix', (_name, prev) => {
    expect(() => chainHash(prev, '{}')).toThrow(TypeError);
  });

  it('when checking hash spellings, then only 64 lowercase hex digits pass', () => {
    expect(isHashHex(GENESIS_HASH)).toBe(true);
    expect(isHashHex('F'.repeat(64))).toBe(false);
    expect(isHashHex(42)).toBe(false);
  });
});

describe('nextLink', () => {
  it('when linking, then seq is set, body is the canonical text and hash chains from prev', () => {
    const { seq: _seq, ...fresh } = event;
    const link = nextLink(GENESIS_HASH, fresh, 1);
    expect(link.event.seq).toBe(1);
    expect(link.body).toBe(canonical(link.event));
    expect(link.hash).toBe(chainHash(GENESIS_HASH, link.body));
  });

  it('when the caller smuggles a seq in the event, then the chain position wins', () => {
    const link = nextLink(GENESIS_HASH, event, 7);
    expect(link.event.seq).toBe(7);
    expect(link.body).toContain('"seq":7');
  });

  it.each([0, -1, 1.5, Number.NaN])('when seq is %s, then it throws', (seq) => {
    expect(() => nextLink(GENESIS_HASH, event, seq)).toThrow(RangeError);
  });
});
