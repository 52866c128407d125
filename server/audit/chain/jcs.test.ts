import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { jcs } from './jcs.ts';

// Values that exercise every branch RFC 8785 cares about: key order by UTF-16 code units (not code points), number
// spellings (§3.2.2.3), escapes, nesting, undefined members and array slots, toJSON.
const samples: unknown[] = [
  null,
  true,
  0,
  -0,
  1e21,
  1e-7,
  123456789.125,
  -5e-324,
  'plain',
  'quote " backslash \\ tab \t nul \u0000 del \u007f line sep \u2028',
  'emoji \ud83d\ude00 and é',
  [],
  [1, undefined, 'x', null, [2, [3]]],
  {},
  { b: 1, a: 2, aa: 3, A: 4, _: 5, '': 6 },
  { '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '\u0080': 4, '1': 5, '10': 6, '2': 7, é: 8 },
  {
    seq: 3,
    time: '2025-01-01T00:00:00.000Z',
    actor: { kind: 'company', id: 'c' },
    purpose: undefined,
    fields: ['email'],
  },
  { when: new Date('2025-01-01T00:00:00.000Z'), nested: { z: { y: { x: [{ b: 1, a: [] }] } } } },
];

describe('jcs (RFC 8785)', () => {
  it.each(samples.map((s) => [JSON.stringify(s) ?? String(s), s]))(
    'when given %s, then it writes the text the canonicalize package writes',
    (_name, value) => {
      expect(jcs(value)).toBe(canonicalize(value));
    },
  );

  it('when members sort differently by code point and by UTF-16 unit, then they go by UTF-16 unit (§3.2.3)', () => {
    // U+1F600 is stored as D83D DE00, which sorts before U+FB33 (one unit) although its code point is higher.
    expect(jcs({ '\ufb33': 1, '\ud83d\ude00': 2 })).toBe('{"\ud83d\ude00":2,"\ufb33":1}');
  });

  it.each([
    ['a lone high surrogate in a value', { a: '\ud800' }],
    ['a lone low surrogate in a key', { ['\udc00']: 1 }],
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
  ])('when it meets %s, then it refuses rather than writing a text', (_name, value) => {
    expect(() => jcs(value)).toThrow();
    expect(() => canonicalize(value)).toThrow();
  });
});
