import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvRecord, CSV_COLUMNS } from '../export/format.ts';
import type { AuditRow } from '../chain/event.ts';
import { parseCsv } from './csv-reader.ts';
import { buildChain, fullExport, makeKey } from '../../../test/support/audit-chain.ts';
import type { TestKey } from '../../../test/support/audit-chain.ts';
import { verifyExport } from './verify.ts';

let key: TestKey;
let rows: AuditRow[];
let records: string[][];

beforeAll(async () => {
  key = await makeKey();
  rows = buildChain(10);
  records = parseCsv(await fullExport(rows, key, 'csv'));
});

const write = (recs: string[][]) => recs.map(csvRecord).join('');
const verify = (recs: string[][]) => verifyExport(Readable.from([write(recs)]), { jwks: key.jwks });
/** Records with one cell of the row for `seq` replaced (rows start at record 2). */
const withCell = (seq: number, column: (typeof CSV_COLUMNS)[number], value: (old: string) => string) =>
  records.map((r, i) => (i === seq + 1 ? r.map((c, j) => (j === CSV_COLUMNS.indexOf(column) ? value(c) : c)) : r));

describe('verifyExport, CSV', () => {
  it('when the CSV export is intact, then it verifies every event and is complete', async () => {
    await expect(verify(records)).resolves.toMatchObject({ ok: true, events: 10, complete: true, anchored: true });
  });

  it('when a display column is changed (the spreadsheet would show a lie), then verify names that seq', async () => {
    const result = await verify(withCell(4, 'company', () => 'cmp_innocent'));
    expect(result).toMatchObject({ ok: false, badSeq: 4, reason: /company/ });
  });

  it('when the event text is edited, then verify names that seq', async () => {
    await expect(verify(withCell(7, 'event', (e) => e.replace('2025', '2024')))).resolves.toMatchObject({
      ok: false,
      badSeq: 7,
    });
  });

  it('when a row is deleted, then verify names the missing seq', async () => {
    await expect(verify(records.filter((_, i) => i !== 5 + 1))).resolves.toMatchObject({ ok: false, badSeq: 5 });
  });

  it('when the column header row is changed, then it is not accepted as an export', async () => {
    const renamed = [records[0]!.map((c) => (c === 'company' ? 'firm' : c)), ...records.slice(1)];
    await expect(verify(renamed)).resolves.toMatchObject({ ok: false, badSeq: 0 });
  });

  it('when a row has a stray quote, then verify reports the syntax error at the row after the last good one', async () => {
    const text = write(records.slice(0, 5)) + 'x"y\r\n';
    await expect(verifyExport(Readable.from([text]), { jwks: key.jwks })).resolves.toMatchObject({
      ok: false,
      badSeq: 4,
    });
  });
});
