/**
 * Offline verification of an export (issue 5 "Verify"), and of the live table's rows.
 * Recomputes every hash, checks links and order, and checks the signed checkpoint; names the first
 * sequence number that breaks (rules in chain-checker.ts). JSON Lines takes the fast byte-level
 * path (verify-line.ts); CSV is detected by its first row and read by verify-csv.ts.
 *
 * Limitation, by construction: a filtered export (a time range, one company…) is not contiguous, so
 * it cannot show that nothing was left out. Its lines are each checked against their own prev, and
 * links are checked where seqs are consecutive; it reports complete: false. Only a full export
 * (seq 1 up to a signed checkpoint) can report complete: true.
 */
import type { JSONWebKeySet } from 'jose';
import { ChainChecker, seqInside } from './chain-checker.ts';
import type { VerifyResult } from './chain-checker.ts';
import { eventSeqFromTail, parseLine } from './verify-line.ts';
import type { LineParts } from './verify-line.ts';
import type { AuditRow } from './event.ts';
import type { Checkpoint } from './export-format.ts';
import { loadJwks, readHeader } from './export-header.ts';
import { openSource, ReadWindow } from './read-source.ts';
import type { ExportInput } from './read-source.ts';
import { verifyCsv } from './verify-csv.ts';

export type { VerifyResult } from './chain-checker.ts';
export { loadJwks } from './export-header.ts';

export interface VerifyOptions {
  /** Inline JWKS, an http(s) URL, or a file path; only read if the export has a checkpoint. */
  jwks: JSONWebKeySet | string;
  /** Default: what the header says (an unfiltered export must be complete). */
  expectComplete?: boolean;
  /** Called after each chunk read (about every 4 MB); totalBytes is null for streams. */
  onProgress?: (bytesRead: number, totalBytes: number | null) => void;
}

const CHUNK = 4 * 1024 * 1024;
const MAX_LINE = 64 * 1024 * 1024;
const LF = 0x0a;
const CR = 0x0d;

export async function verifyExport(input: ExportInput, opts: VerifyOptions): Promise<VerifyResult> {
  const source = await openSource(input);
  try {
    const win = new ReadWindow(source, CHUNK, MAX_LINE);
    let jwks: Promise<JSONWebKeySet> | undefined;
    const getJwks = () => (jwks ??= loadJwks(opts.jwks));
    const progress = () => opts.onProgress?.(win.bytesRead, source.size);

    // Read up to the first line break to learn the kind of file.
    let nl = -1;
    while (nl < 0 && !win.eof) {
      await win.fill();
      nl = win.buf.subarray(0, win.filled).indexOf(LF);
    }
    const bom = win.buf[0] === 0xef && win.buf[1] === 0xbb && win.buf[2] === 0xbf ? 3 : 0;
    const firstEnd = nl < 0 ? win.filled : nl;
    const first = win.buf.toString('utf8', bom, firstEnd > bom && win.buf[firstEnd - 1] === CR ? firstEnd - 1 : firstEnd);
    if (first.startsWith('seq,')) return await verifyCsv(win, bom, { ...opts, getJwks, progress });
    if (first.trim() === '') return { ok: true, events: 0, firstSeq: 0, lastSeq: 0, checkpoint: null, anchored: false, complete: false };
    if (!first.startsWith('{')) return { ok: false, badSeq: 0, reason: 'not an audit export (JSON Lines or CSV)', events: 0 };

    let checkpoint: Checkpoint | null = null;
    let expectComplete = opts.expectComplete ?? false;
    let consumed = bom;
    if (!first.startsWith('{"seq":')) {
      const header = await readHeader(first, getJwks);
      if (!header.ok) return { ok: false, badSeq: 0, reason: header.reason, events: 0 };
      checkpoint = header.checkpoint;
      expectComplete = opts.expectComplete ?? !header.header.filtered;
      consumed = nl < 0 ? win.filled : nl + 1;
    }
    const checker = new ChainChecker({ checkpoint, expectComplete, live: false });
    const parts: LineParts = { seq: 0, prevPos: 0, hashPos: 0, eventStart: 0, eventEnd: 0 };

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
        if (end > pos && !checkLine(checker, view, pos, end, parts)) return checker.finish();
        pos = next;
      }
      win.consume(Math.min(pos, win.filled));
      consumed = 0;
      progress();
      if (win.eof) return checker.finish();
      await win.fill();
    }
  } finally {
    await source.close();
  }
}

function checkLine(checker: ChainChecker, buf: Buffer, start: number, end: number, parts: LineParts): boolean {
  if (!parseLine(buf, start, end, parts)) return checker.fail(seqOfMalformed(buf.toString('utf8', start, end), checker), 'line does not have the export layout');
  let eventSeq = eventSeqFromTail(buf, parts.eventStart, parts.eventEnd);
  // Only events whose text does not end in the usual `"seq":N,"time":"…"}` pay for a parse.
  if (eventSeq < 0) eventSeq = seqInside(buf.toString('utf8', parts.eventStart, parts.eventEnd));
  if (eventSeq < 0) return checker.fail(parts.seq, `seq ${parts.seq}: the event is not a JSON object with a seq`);
  return checker.check(buf, parts.seq, parts.prevPos, parts.hashPos, parts.eventStart, parts.eventEnd, eventSeq);
}

/** For the report only: the seq a malformed line claims, else the one after the last good line. */
function seqOfMalformed(text: string, checker: ChainChecker): number {
  const seq = seqInside(text);
  return seq >= 0 ? seq : checker.nextSeq;
}

export interface VerifyRowsOptions {
  /** A trusted checkpoint (from the table) whose hash the chain must reach, if any. */
  checkpoint?: Checkpoint | null;
  /** Default true: the table must run from seq 1 without gaps. */
  expectComplete?: boolean;
}

/**
 * Verifies the live table's rows (ORDER BY seq) with the same rules. A synchronous iterable (a
 * better-sqlite3 `.iterate()`) is consumed without awaiting, so the statement is not held open
 * across turns of the event loop. The table may extend past its latest checkpoint.
 */
export async function verifyRows(rows: Iterable<AuditRow> | AsyncIterable<AuditRow>, opts: VerifyRowsOptions = {}): Promise<VerifyResult> {
  const checker = new ChainChecker({
    checkpoint: opts.checkpoint ?? null,
    expectComplete: opts.expectComplete ?? true,
    live: true,
  });
  const one = (row: AuditRow): boolean => checker.checkText(row.seq, row.prev_hash, row.hash, row.body);
  if (Symbol.iterator in rows) {
    for (const row of rows) if (!one(row)) break;
  } else {
    for await (const row of rows) if (!one(row)) break;
  }
  return checker.finish();
}
