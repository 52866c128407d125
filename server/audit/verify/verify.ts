/**
 * Offline verification of an export (ARCHITECTURE.md, "The audit trail"), and of the live table's rows.
 * Recomputes every hash, checks links and order, and checks the signed checkpoint; names the first
 * sequence number that breaks (rules in chain-checker.ts). JSON Lines takes the fast byte-level
 * path (verify/line.ts), split across cores for large files (verify/parallel.ts); CSV is detected
 * by its first row and read by verify/csv.ts.
 *
 * Limitation, by construction: a filtered export (one company, one action…) is not contiguous, so
 * it cannot show that nothing was left out, nor that an event before a gap was not edited and its
 * hash recomputed. Its lines are each checked against their own prev, and links are checked where
 * seqs are consecutive; it reports anchored: false and complete: false, and the CLI fails it unless
 * told --allow-unanchored (verify/report.ts). Only a full export (seq 1 up to a signed checkpoint)
 * can report complete: true.
 */
import type { JSONWebKeySet } from 'jose';
import { ChainChecker } from './chain-checker.ts';
import { createChecker } from './chains-checker.ts';
import type { CheckerOptions, VerifyResult } from './chain-checker.ts';
import type { AuditRow } from '../chain/event.ts';
import type { Checkpoint } from '../export/format.ts';
import { loadJwks, readHeader } from '../export/header.ts';
import { LineTooLongError, openSource, ReadWindow, WINDOW_SLACK } from './read-source.ts';
import type { ExportInput } from './read-source.ts';
import { verifyCsv } from './csv.ts';
import { checkJsonl } from './jsonl.ts';
import { checkFileParallel, defaultThreads, PARALLEL_MIN_BYTES } from './parallel.ts';
import { WorkerPool } from './worker-pool.ts';

export type { VerifyResult } from './chain-checker.ts';
export { loadJwks } from '../export/header.ts';

export interface VerifyOptions {
  /** Inline JWKS, an http(s) URL, or a file path; only read if the export has a checkpoint. */
  jwks: JSONWebKeySet | string;
  /** Default: what the header says (an unfiltered export must be complete). */
  expectComplete?: boolean;
  /** Called after each chunk read (about every 4 MB); totalBytes is null for streams. */
  onProgress?: (bytesRead: number, totalBytes: number | null) => void;
  /** Threads for a large JSON Lines file (default: cores, at most 4); 1 disables workers. */
  threads?: number;
  /** Files smaller than this are checked on one thread (default 128 MB, PARALLEL_MIN_BYTES). */
  parallelMinBytes?: number;
}

const CHUNK = 4 * 1024 * 1024;
const MAX_LINE = 64 * 1024 * 1024;
const LF = 0x0a;
const CR = 0x0d;

export async function verifyExport(input: ExportInput, opts: VerifyOptions): Promise<VerifyResult> {
  const source = await openSource(input);
  const threads = opts.threads ?? defaultThreads();
  const size = source.size;
  const parallel =
    typeof input === 'string' && size !== null && threads > 1 && size >= (opts.parallelMinBytes ?? PARALLEL_MIN_BYTES);
  // Started now, so that they load while this thread reads the header and checks its signature
  // (verify/worker-pool.ts); closed below whatever the file turns out to be.
  const pool = parallel ? new WorkerPool(threads - 1) : undefined;
  let closed = false;
  const close = async () => {
    if (!closed) await source.close();
    closed = true;
  };
  try {
    const win = new ReadWindow(source, CHUNK + WINDOW_SLACK, MAX_LINE);
    let jwks: Promise<JSONWebKeySet> | undefined;
    const getJwks = () => (jwks ??= loadJwks(opts.jwks));
    const progress = () => opts.onProgress?.(win.bytesRead, source.size);

    // Read up to the first line break to learn the kind of file.
    let nl = -1;
    try {
      while (nl < 0 && !win.eof) {
        await win.fill();
        nl = win.buf.subarray(0, win.filled).indexOf(LF);
      }
    } catch (err) {
      if (err instanceof LineTooLongError)
        return { ok: false, badSeq: 0, reason: `the first ${err.message}`, events: 0 };
      throw err;
    }
    const bom = win.buf[0] === 0xef && win.buf[1] === 0xbb && win.buf[2] === 0xbf ? 3 : 0;
    const firstEnd = nl < 0 ? win.filled : nl;
    const first = win.buf.toString(
      'utf8',
      bom,
      firstEnd > bom && win.buf[firstEnd - 1] === CR ? firstEnd - 1 : firstEnd,
    );
    if (first.startsWith('seq,'))
      return await verifyCsv(win, bom, { expectComplete: opts.expectComplete, getJwks, progress });
    if (first.trim() === '' && win.eof) {
      return new ChainChecker({ checkpoint: null, expectComplete: opts.expectComplete ?? false, live: false }).finish();
    }
    if (!first.startsWith('{'))
      return { ok: false, badSeq: 0, reason: 'not an audit export (JSON Lines or CSV)', events: 0 };

    let checkpoint: Checkpoint | null = null;
    let expectComplete = opts.expectComplete ?? false;
    let dataStart = bom;
    if (!first.startsWith('{"seq":')) {
      const header = await readHeader(first, getJwks);
      if (!header.ok) return { ok: false, badSeq: 0, reason: header.reason, events: 0 };
      checkpoint = header.checkpoint;
      expectComplete = opts.expectComplete ?? !header.header.filtered;
      dataStart = nl < 0 ? win.filled : nl + 1;
    }
    const options: CheckerOptions = { checkpoint, expectComplete, live: false };

    if (parallel) {
      await close();
      let done = dataStart;
      const onBytes = (n: number) => {
        done = Math.min(size, done + n); // a slice retried after a worker died reports twice
        opts.onProgress?.(done, size);
      };
      const { checker } = await checkFileParallel(input, dataStart, size, options, { threads, onBytes, pool });
      return checker.finish();
    }
    const checker = createChecker(options);
    await checkJsonl(win, dataStart, checker, progress);
    return checker.finish();
  } finally {
    pool?.close();
    await close();
  }
}

export interface VerifyRowsOptions {
  /** A trusted checkpoint (from the table) whose hash the chain must reach, if any. */
  checkpoint?: Checkpoint | null;
  /** Default true: the table must run from seq 1 without gaps. */
  expectComplete?: boolean;
  /** The table holds several chains (audit/chain/chains.ts): check each by its links and signed head. */
  multi?: boolean;
}

/**
 * Verifies the live table's rows (ORDER BY seq) with the same rules. A synchronous iterable (a
 * better-sqlite3 `.iterate()`) is consumed without awaiting, so the statement is not held open
 * across turns of the event loop. The table may extend past its latest checkpoint.
 */
export async function verifyRows(
  rows: Iterable<AuditRow> | AsyncIterable<AuditRow>,
  opts: VerifyRowsOptions = {},
): Promise<VerifyResult> {
  const checker = createChecker({
    checkpoint: opts.checkpoint ?? null,
    expectComplete: opts.expectComplete ?? true,
    live: true,
    multi: opts.multi,
  });
  const one = (row: AuditRow): boolean => checker.checkText(row.seq, row.prev_hash, row.hash, row.body);
  if (Symbol.iterator in rows) {
    for (const row of rows) if (!one(row)) break;
  } else {
    for await (const row of rows) if (!one(row)) break;
  }
  return checker.finish();
}
