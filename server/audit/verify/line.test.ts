import { describe, expect, it } from 'vitest';
import { eventSeqFromTail, parseLine } from './line.ts';
import type { LineParts } from './line.ts';

const tail = (text: string) => {
  const buf = Buffer.from(text);
  return eventSeqFromTail(buf, 0, buf.length);
};

describe('eventSeqFromTail', () => {
  it.each([
    ['a canonical event', '{"action":"data.read","seq":42,"time":"2025-01-01T00:00:00.000Z"}', 42],
    ['seq as the first key', '{"seq":7,"time":"2025-01-01T00:00:00.000Z"}', 7],
    ['a nested "seq" earlier in detail', '{"detail":{"seq":1},"seq":9,"time":"2025-01-01T00:00:00.000Z"}', 9],
    ['a key after time (not our layout)', '{"seq":3,"time":"t","zz":1}', -1],
    ['a time value with an escape', '{"seq":3,"time":"a\\"b"}', -1],
    ['a seq that is the tail of another key', '{"x\\"seq":3,"time":"t"}', -1],
    ['a leading zero', '{"seq":03,"time":"t"}', -1],
    ['no seq at all', '{"time":"2025-01-01T00:00:00.000Z"}', -1],
  ])('when the event is %s, then it reads %i (-1: leave it to a full parse)', (_name, text, expected) => {
    expect(tail(text)).toBe(expected);
  });
});

describe('parseLine', () => {
  const hex = 'ab'.repeat(32);
  const parts: LineParts = { seq: 0, prevPos: 0, hashPos: 0, eventStart: 0, eventEnd: 0 };
  const parse = (line: string) => parseLine(Buffer.from(line), 0, Buffer.byteLength(line), parts);

  it('when the line has the export layout, then seq, prev, hash and the event bounds are found', () => {
    const line = `{"seq":12,"prev":"${hex}","hash":"${hex}","event":{"seq":12}}`;
    expect(parse(line)).toBe(true);
    expect(parts.seq).toBe(12);
    expect(line.slice(parts.prevPos, parts.prevPos + 64)).toBe(hex);
    expect(line.slice(parts.eventStart, parts.eventEnd)).toBe('{"seq":12}');
  });

  it.each([
    ['keys in another order', `{"prev":"${hex}","seq":1,"hash":"${hex}","event":{}}`],
    ['a short hash', `{"seq":1,"prev":"${hex}","hash":"abc","event":{}}`],
    ['a non-numeric seq', `{"seq":"1","prev":"${hex}","hash":"${hex}","event":{}}`],
    ['an event that is not an object', `{"seq":1,"prev":"${hex}","hash":"${hex}","event":[]}`],
    ['no closing brace', `{"seq":1,"prev":"${hex}","hash":"${hex}","event":{}`],
  ])('when the line has %s, then it is rejected', (_name, line) => {
    expect(parse(line)).toBe(false);
  });
});
