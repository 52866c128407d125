import { describe, expect, it } from 'vitest';
import { createRevokedJtis } from './revoked-jtis.ts';

describe('the revoked jtis kept in memory', () => {
  it('when more ids than the bound are added, then the oldest is dropped first and the rest are kept', () => {
    const r = createRevokedJtis(2);
    r.add('a', 1_000);
    r.add('b', 1_000);
    r.add('c', 1_000);
    expect([r.has('a', 0), r.has('b', 0), r.has('c', 0)]).toEqual([false, true, true]);
    expect(r.size()).toBe(2);
  });

  it("when an id's token has expired, then it is no longer known and its place is freed", () => {
    const r = createRevokedJtis(10);
    r.add('a', 1_000);
    expect(r.has('a', 999)).toBe(true);
    expect(r.has('a', 1_000)).toBe(false);
    expect(r.size()).toBe(0);
  });
});
