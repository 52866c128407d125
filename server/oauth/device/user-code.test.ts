import { describe, expect, it } from 'vitest';
import { newUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code.ts';

describe('user codes (RFC 8628 §6.1)', () => {
  it('when made, then they are 8 consonants in two groups of 4, with no vowels or look-alikes', () => {
    for (let i = 0; i < 200; i++)
      expect(newUserCode()).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY01]/);
  });

  it.each([
    ['bcdf-ghjk', 'BCDFGHJK'],
    [' BCDF GHJK ', 'BCDFGHJK'],
    ['BCDFGHJK', 'BCDFGHJK'],
    ['BCDF-GHJ', undefined],
    ['BCDF-GHJA', undefined],
    ['BCDF-GHJ0', undefined],
    ['', undefined],
  ])('when "%s" is typed, then it reads as %s', (typed, code) => {
    expect(normalizeUserCode(typed)).toBe(code);
  });
});
