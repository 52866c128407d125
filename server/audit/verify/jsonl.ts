/**
 * The JSON Lines loop: split the read window at line feeds and check each line where it lies.
 * Runs on the main thread for a whole file or stream, and in verify/worker.ts for a slice.
 */
import type { Checker } from './chains-checker.ts';
import { seqInside } from './chain-checker.ts';
import { LineTooLongError } from './read-source.ts';
import type { ReadWindow } from './read-source.ts';
import { eventSeqFromTail, parseLine } from './line.ts';
import type { LineParts } from './line.ts';

const LF = 0x0a;
const CR = 0x0d;

/** Checks every line from win.buf[start] to the end of the input; stops at the first failure. */
export async function checkJsonl(
  win: ReadWindow,
  start: number,
  checker: Checker,
  progress?: () => void,
): Promise<void> {
  const parts: LineParts = { seq: 0, prevPos: 0, hashPos: 0, eventStart: 0, eventEnd: 0 };
  let consumed = start;
  for (;;) {
    const view = win.buf.subarray(0, win.filled);
    let pos = consumed;
    while (pos < view.length) {
      let end = view.indexOf(LF, pos);
      if (end < 0) {
        if (!win.eof) break;
        end = view.length;
      }
      const next = end + 1;
      if (end > pos && view[end - 1] === CR) end--;
      // Blank lines carry no event; skipping them keeps editor-added trailing newlines harmless.
      if (end > pos && !checkLine(checker, view, pos, end, parts)) return;
      pos = next;
    }
    win.consume(Math.min(pos, win.filled));
    consumed = 0;
    progress?.();
    if (win.eof) return;
    try {
      await win.fill();
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      checker.fail(checker.nextSeq, err.message);
      return;
    }
  }
}

function checkLine(checker: Checker, buf: Buffer, start: number, end: number, parts: LineParts): boolean {
  if (!parseLine(buf, start, end, parts)) {
    // Only a broken line pays for a parse, to say which seq it claims to be.
    const claimed = seqInside(buf.toString('utf8', start, end));
    return checker.fail(claimed >= 0 ? claimed : checker.nextSeq, 'line does not have the export layout');
  }
  let eventSeq = eventSeqFromTail(buf, parts.eventStart, parts.eventEnd);
  // Only events whose text does not end in the usual `"seq":N,"time":"…"}` pay for a parse.
  if (eventSeq < 0) eventSeq = seqInside(buf.toString('utf8', parts.eventStart, parts.eventEnd));
  if (eventSeq < 0) return checker.fail(parts.seq, `seq ${parts.seq}: the event is not a JSON object with a seq`);
  return checker.check(buf, parts.seq, parts.prevPos, parts.hashPos, parts.eventStart, parts.eventEnd, eventSeq);
}
