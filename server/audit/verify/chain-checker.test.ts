import { describe, expect, it } from 'vitest';
import { buildChain } from '../../../test/support/audit-chain.ts';
import { ChainChecker } from './chain-checker.ts';

const rows = buildChain(5);
const options = { checkpoint: null, expectComplete: true, live: true };

/** Feeds the rows with prev's hex right before the event, where check cannot decode prev in place. */
function prevBeforeEvent(edit?: (body: string, seq: number) => string) {
  const checker = new ChainChecker(options);
  for (const row of rows) {
    const body = edit ? edit(row.body, row.seq) : row.body;
    const buf = Buffer.from(row.hash + row.prev_hash + body, 'utf8');
    if (!checker.check(buf, row.seq, 64, 0, 128, buf.length, row.seq)) break;
  }
  return checker;
}

describe('ChainChecker.check', () => {
  it('when prev lies just before the event, then it hashes a copy and agrees with the in-place path', () => {
    const inPlace = new ChainChecker(options);
    for (const row of rows) inPlace.checkText(row.seq, row.prev_hash, row.hash, row.body);
    const copied = prevBeforeEvent();
    expect(copied.finish()).toEqual(inPlace.finish());
    expect(copied.state.lastHash).toBe(rows.at(-1)!.hash);
    expect(inPlace.state.lastHash).toBe(rows.at(-1)!.hash);
  });

  it('when an event is edited, then the copying path names its seq too', () => {
    const result = prevBeforeEvent((body, seq) => (seq === 3 ? body.replace('data.', 'dat4.') : body)).finish();
    expect(result).toMatchObject({ ok: false, badSeq: 3, reason: expect.stringContaining('edited') });
  });
});
