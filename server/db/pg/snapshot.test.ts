import { describe, expect, it } from 'vitest';
import { visibleIn } from './snapshot.ts';

describe('whether a transaction is in a snapshot', () => {
  it('when it ended before the snapshot, then it is in it; when it was running or had not begun, then it is not', () => {
    expect(visibleIn(99n, '100:105:101,103')).toBe(true); // below xmin
    expect(visibleIn(102n, '100:105:101,103')).toBe(true); // ended, between xmin and xmax
    expect(visibleIn(101n, '100:105:101,103')).toBe(false); // running
    expect(visibleIn(103n, '100:105:101,103')).toBe(false);
    expect(visibleIn(105n, '100:105:101,103')).toBe(false); // at xmax: not begun
    expect(visibleIn(100n, '100:100:')).toBe(false);
    expect(visibleIn(99n, '100:100:')).toBe(true);
  });
  it('when the text is not a snapshot, then it throws rather than guess', () => {
    expect(() => visibleIn(1n, 'nonsense')).toThrow(/not a snapshot/);
  });
});
