/**
 * Verifying a CSV export (format in export/format.ts). The chain columns (seq, prev, hash, event)
 * go through the same ChainChecker as JSON Lines. The display columns are not hashed, so they are
 * recomputed from the event text and compared: otherwise someone could change what a spreadsheet
 * shows while the chain still verifies. Slower than JSON Lines (a CSV field may hide line breaks,
 * so every character is read), which is why JSON Lines is the format to verify large exports in.
 */
import { StringDecoder } from 'node:string_decoder';
import type { JSONWebKeySet } from 'jose';
import { ChainChecker } from './chain-checker.ts';
import { createChecker } from './chains-checker.ts';
import type { Checker } from './chains-checker.ts';
import type { VerifyResult } from './chain-checker.ts';
import { CsvReader, CsvSyntaxError } from './csv-reader.ts';
import type { AuditEvent } from '../chain/event.ts';
import { CSV_COLUMNS, CSV_HEADER_MARK, csvDisplayColumns } from '../export/format.ts';
import { readHeader } from '../export/header.ts';
import type { ReadWindow } from './read-source.ts';

export interface CsvVerifyContext {
  expectComplete?: boolean;
  getJwks: () => Promise<JSONWebKeySet>;
  progress: () => void;
}

const SEQ = /^[1-9][0-9]{0,14}$/;

export async function verifyCsv(win: ReadWindow, skip: number, ctx: CsvVerifyContext): Promise<VerifyResult> {
  const reader = new CsvReader();
  const decoder = new StringDecoder('utf8');
  // An object rather than a `let`, so TypeScript does not narrow it to null after the closure.
  const state: { checker: Checker | null } = { checker: null };
  let row = 0;

  const handle = async (record: string[]): Promise<VerifyResult | null> => {
    row++;
    if (row === 1) {
      if (record.join(',') !== CSV_COLUMNS.join(',')) return bad(0, 'the CSV header row is not the export column list');
      return null;
    }
    if (record.length === 1 && record[0] === '') return null; // blank line
    if (state.checker === null) {
      let expectComplete = ctx.expectComplete ?? false;
      let checkpoint = null;
      if (record[0] === CSV_HEADER_MARK) {
        const header = await readHeader(record[CSV_COLUMNS.length - 1] ?? '', ctx.getJwks);
        if (!header.ok) return bad(0, header.reason);
        checkpoint = header.checkpoint;
        expectComplete = ctx.expectComplete ?? !header.header.filtered;
      }
      state.checker = createChecker({ checkpoint, expectComplete, live: false });
      if (record[0] === CSV_HEADER_MARK) return null;
    }
    return checkRecord(state.checker, record) ? null : state.checker.finish();
  };

  try {
    let first = true;
    for (;;) {
      const text = decoder.write(win.buf.subarray(first ? skip : 0, win.filled));
      first = false;
      win.consume(win.filled);
      for (const record of reader.push(text)) {
        const stop = await handle(record);
        if (stop) return stop;
      }
      ctx.progress();
      if (win.eof) break;
      await win.fill();
    }
    for (const record of reader.push(decoder.end())) {
      const stop = await handle(record);
      if (stop) return stop;
    }
    for (const record of reader.end()) {
      const stop = await handle(record);
      if (stop) return stop;
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) return bad(state.checker?.nextSeq ?? 0, err.message, state.checker?.events);
    throw err;
  }
  const checker =
    state.checker ?? new ChainChecker({ checkpoint: null, expectComplete: ctx.expectComplete ?? false, live: false });
  return checker.finish();
}

function checkRecord(checker: Checker, record: string[]): boolean {
  const where = checker.nextSeq;
  if (record.length !== CSV_COLUMNS.length || !SEQ.test(record[0]!)) {
    return checker.fail(where, `CSV row for seq ${record[0] ?? '?'} does not have the export columns`);
  }
  const seq = Number(record[0]);
  const [prev, hash, body] = record.slice(-3) as [string, string, string];
  // The columns a person reads must say what the (hashed) event says. A body that is not JSON is
  // left to checkText, which reports it.
  const expected = displayOf(body);
  if (expected !== null) {
    const shown = record.slice(1, 1 + expected.length);
    const i = expected.findIndex((v, k) => v !== shown[k]);
    if (i >= 0) return checker.fail(seq, `seq ${seq}: column ${CSV_COLUMNS[i + 1]} does not match the event`);
  }
  return checker.checkText(seq, prev, hash, body);
}

function displayOf(body: string): string[] | null {
  try {
    const event: unknown = JSON.parse(body);
    return typeof event === 'object' && event !== null ? csvDisplayColumns(event as AuditEvent) : null;
  } catch {
    return null;
  }
}

function bad(badSeq: number, reason: string, events = 0): VerifyResult {
  return { ok: false, badSeq, reason, events };
}
