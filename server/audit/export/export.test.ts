import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../verify/csv-reader.ts';
import type { AuditEvent } from '../chain/event.ts';
import { endExport, exportEvents, ExportAbortedError, openExportFile } from './export.ts';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_COLUMNS, CSV_HEADER_MARK, csvField, jsonlLine } from './format.ts';
import { buildChain, exportToString, fullExport, makeKey, sampleEvent } from '../../../test/support/audit-chain.ts';
import { verifyExport } from '../verify/verify.ts';
import { Readable } from 'node:stream';

/** A destination that is "full" after every write until the test lets it drain. */
class SlowSink extends EventEmitter {
  writes: Uint8Array[] = [];
  waiting = false;
  write(chunk: Uint8Array): boolean {
    if (this.waiting) throw new Error('wrote while the destination was full');
    this.writes.push(chunk);
    this.waiting = true;
    setImmediate(() => {
      this.waiting = false;
      this.emit('drain');
    });
    return false;
  }
}

describe('exportEvents, JSON Lines', () => {
  it('when exporting, then the header comes first and each line has the fixed layout with the stored text verbatim', async () => {
    const rows = buildChain(3);
    const text = await fullExport(rows, await makeKey());
    const lines = text.split('\n');
    expect(lines).toHaveLength(5); // header, 3 events, '' after the final LF
    const header = JSON.parse(lines[0]!);
    expect(header).toMatchObject({
      format: 'vault-audit-export',
      version: 1,
      filtered: false,
      checkpoint: { seq: 3, hash: rows[2]!.hash },
    });
    rows.forEach((row, i) => {
      expect(lines[i + 1]).toBe(
        `{"seq":${row.seq},"prev":"${row.prev_hash}","hash":"${row.hash}","event":${row.body}}`,
      );
    });
  });

  it('when events hold non-ASCII text, then the bytes written are exactly jsonlLine of each row in UTF-8', async () => {
    const rows = buildChain(3, (i) => ({ ...sampleEvent(i), purpose: `café ☕ 😀 ${i}` }));
    const text = await exportToString(rows, { format: 'jsonl' });
    expect(text.slice(text.indexOf('\n') + 1)).toBe(rows.map(jsonlLine).join(''));
  });

  it('when the destination reports chunks written, then their buffers are reused only after that', async () => {
    const held: { chunk: Uint8Array; finished: boolean; done?: () => void }[] = [];
    let reusedTooSoon = 0;
    let reused = 0;
    const sink = {
      write(chunk: Uint8Array, done?: () => void) {
        for (const h of held) {
          if (h.chunk.buffer !== chunk.buffer) continue;
          if (h.finished) reused++;
          else reusedTooSoon++;
        }
        held.push({ chunk, finished: false, done });
        const older = held.at(-4); // the stream finishes writing a chunk a few writes later
        if (older && !older.finished) {
          older.finished = true;
          older.done?.();
        }
        return true;
      },
      once: () => sink,
      removeListener: () => sink,
    };
    await exportEvents(buildChain(3000), sink, { format: 'jsonl', chunkSize: 8 * 1024 });
    expect(held.length).toBeGreaterThan(50);
    expect(reusedTooSoon).toBe(0);
    expect(reused).toBeGreaterThan(0);
  });

  it('when the destination is full, then the exporter waits for drain before writing again', async () => {
    const sink = new SlowSink();
    const summary = await exportEvents(buildChain(2000), sink, { format: 'jsonl', chunkSize: 16 * 1024 });
    expect(summary.events).toBe(2000);
    expect(sink.writes.length).toBeGreaterThan(10);
  });

  it('when exporting many events, then they are written in chunks of about the chunk size, not a write per line', async () => {
    const sink = new SlowSink();
    const summary = await exportEvents(buildChain(3000), sink, { format: 'jsonl' });
    expect(sink.writes.length).toBeLessThan(summary.bytes / (60 * 1024) + 2);
    expect(sink.writes.slice(0, -1).every((w) => w.length >= 64 * 1024)).toBe(true);
  });

  it('when the destination closes mid-export (client gone), then the export stops with ExportAbortedError', async () => {
    const sink = Object.assign(new EventEmitter(), {
      write: () => {
        setImmediate(() => sink.emit('close'));
        return false;
      },
    });
    await expect(exportEvents(buildChain(3000), sink, { format: 'jsonl', chunkSize: 1024 })).rejects.toThrow(
      ExportAbortedError,
    );
  });

  it('when a write fails while the destination is not full, then the export stops with that error', async () => {
    const sink = Object.assign(new EventEmitter(), {
      write: () => {
        setImmediate(() => sink.emit('error', new Error('ENOSPC: no space left on device')));
        return true;
      },
    });
    const slowRows = async function* () {
      for (const row of buildChain(3000)) {
        await new Promise((r) => setImmediate(r));
        yield row;
      }
    };
    await expect(exportEvents(slowRows(), sink, { format: 'jsonl', chunkSize: 1024 })).rejects.toThrow(/ENOSPC/);
    expect(sink.listenerCount('error')).toBe(0);
  });

  it('when rows are out of order, then the export refuses instead of writing a file that cannot verify', async () => {
    const rows = buildChain(3);
    await expect(exportToString([rows[1]!, rows[0]!], { format: 'jsonl' })).rejects.toThrow(/increasing seq/);
  });

  it('when a row is after the checkpoint, then the export refuses (exports end at their checkpoint)', async () => {
    const key = await makeKey();
    const rows = buildChain(3);
    const checkpoint = await key.sign({ seq: 2, hash: rows[1]!.hash, time: '2025-02-01T00:00:00.000Z' });
    await expect(exportToString(rows, { format: 'jsonl', checkpoint })).rejects.toThrow(/after the checkpoint/);
  });

  it('when a filter is given, then the header marks the export as filtered and records the filter', async () => {
    const text = await exportToString(buildChain(2), { format: 'jsonl', filter: { company: 'cmp_1' } });
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({
      filtered: true,
      filter: { company: 'cmp_1' },
      checkpoint: null,
    });
  });
});

describe('exporting to a file', () => {
  it('when exported with openExportFile, then the file is private to its owner and verifies from its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-export-'));
    try {
      const key = await makeKey();
      const rows = buildChain(50);
      const file = join(dir, 'audit.jsonl');
      const out = openExportFile(file);
      const checkpoint = await key.sign({ seq: 50, hash: rows[49]!.hash, time: '2025-02-01T00:00:00.000Z' });
      await exportEvents(rows, out, { format: 'jsonl', checkpoint });
      await endExport(out);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      await expect(verifyExport(file, { jwks: key.jwks })).resolves.toMatchObject({
        ok: true,
        events: 50,
        complete: true,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when the file already exists, then openExportFile does not overwrite it unless asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-export-'));
    try {
      const file = join(dir, 'audit.jsonl');
      await endExport(openExportFile(file));
      const again = openExportFile(file);
      await expect(new Promise((_, reject) => again.once('error', reject))).rejects.toMatchObject({ code: 'EEXIST' });
      await endExport(openExportFile(file, { overwrite: true }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CSV', () => {
  it.each([
    ['plain', 'plain'],
    ['a comma', 'a,b'],
    ['quotes', 'say "hi"'],
    ['a line feed', 'one\ntwo'],
    ['a CRLF', 'one\r\ntwo'],
    ['only a quote', '"'],
    ['empty', ''],
  ])('when a field holds %s, then it is quoted per RFC 4180 and parses back to the same text', (_name, value) => {
    const line = `${csvField(value)},${csvField('x')}\r\n`;
    expect(parseCsv(line)).toEqual([[value, 'x']]);
  });

  it('when events hold commas, quotes and line breaks, then every column round-trips and the file still verifies', async () => {
    const key = await makeKey();
    const tricky = (i: number): Omit<AuditEvent, 'seq'> => ({
      ...sampleEvent(i),
      purpose: i === 2 ? 'research, "anonymised"\nsecond line' : 'café',
      fields: ['contact.email', 'a,b'],
      reasons: [{ code: 'x"y', message: 'm, n' }],
    });
    const rows = buildChain(3, tricky);
    const text = await fullExport(rows, key, 'csv');
    const records = parseCsv(text);
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    expect(records[1]![0]).toBe(CSV_HEADER_MARK);
    const second = records[3]!;
    expect(second[CSV_COLUMNS.indexOf('purpose')]).toBe('research, "anonymised"\nsecond line');
    expect(second[CSV_COLUMNS.indexOf('fields')]).toBe('contact.email a,b');
    expect(second[CSV_COLUMNS.indexOf('reasons')]).toBe('x"y');
    expect(second[CSV_COLUMNS.indexOf('event')]).toBe(rows[1]!.body);
    expect(second[CSV_COLUMNS.indexOf('hash')]).toBe(rows[1]!.hash);
    await expect(verifyExport(Readable.from([text]), { jwks: key.jwks })).resolves.toMatchObject({
      ok: true,
      events: 3,
      complete: true,
    });
  });

  it('when a display value starts like a spreadsheet formula, then it is prefixed with an apostrophe', async () => {
    const rows = buildChain(1, (i) => ({ ...sampleEvent(i), purpose: '=HYPERLINK("http://x")' }));
    const records = parseCsv(await exportToString(rows, { format: 'csv' }));
    expect(records[2]![CSV_COLUMNS.indexOf('purpose')]).toBe(`'=HYPERLINK("http://x")`);
  });

  it('when the input is malformed, then the reader says so instead of guessing', () => {
    expect(() => parseCsv('a"b,c\r\n')).toThrow(/quote inside/);
    expect(() => parseCsv('"a"b,c\r\n')).toThrow(/after a closing quote/);
    expect(() => parseCsv('"abc')).toThrow(/unterminated/);
  });
});
