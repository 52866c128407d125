import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../chain/chain.ts';
import type { AuditRow } from '../chain/event.ts';
import { jsonlLine } from '../export/format.ts';
import { buildChain, CHECKPOINT_TIME, exportToString, fullExport, makeKey } from '../../../test/support/audit-chain.ts';
import type { TestKey } from '../../../test/support/audit-chain.ts';
import { tamperCases } from '../../../test/support/audit-tamper.ts';
import { verifyExport, verifyRows } from './verify.ts';
import { describeVerifyResult, verifyVerdict } from './report.ts';

const N = 12;
let key: TestKey;
let rows: AuditRow[];
let dir: string;

beforeAll(async () => {
  key = await makeKey();
  rows = buildChain(N);
  dir = await mkdtemp(join(tmpdir(), 'audit-verify-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The full export's header followed by `body` rows as lines: the checkpoint still covers the original chain. */
async function exportWith(body: AuditRow[]): Promise<string> {
  const header = (await fullExport(rows, key)).split('\n')[0]!;
  return `${header}\n${body.map(jsonlLine).join('')}`;
}

const backdate = (body: string) => body.replace('"time":"2025', '"time":"2024');
const verifyText = (text: string, opts: { expectComplete?: boolean } = {}) =>
  verifyExport(Readable.from([Buffer.from(text)]), { jwks: key.jwks, ...opts });

describe('verifyExport, a valid export', () => {
  it('when nothing was changed, then it verifies every event and reports the export complete', async () => {
    const result = await verifyText(await fullExport(rows, key));
    expect(result).toEqual({
      ok: true,
      events: N,
      firstSeq: 1,
      lastSeq: N,
      anchored: true,
      complete: true,
      checkpoint: { seq: N, hash: rows[N - 1]!.hash, time: CHECKPOINT_TIME },
    });
  });

  it('when read from a file path, then the result is the same as from a stream', async () => {
    const file = join(dir, 'valid.jsonl');
    await writeFile(file, await fullExport(rows, key));
    await expect(verifyExport(file, { jwks: key.jwks })).resolves.toMatchObject({
      ok: true,
      events: N,
      complete: true,
    });
  });

  it('when the JWKS is given as a file path, then it is read from there', async () => {
    const file = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify(key.jwks));
    await expect(verifyExport(Readable.from([await fullExport(rows, key)]), { jwks: file })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('when an editor added CRLF line ends, a BOM and trailing blank lines, then it still verifies', async () => {
    const text = `\ufeff${(await fullExport(rows, key)).replaceAll('\n', '\r\n')}\r\n\r\n`;
    await expect(verifyText(text)).resolves.toMatchObject({ ok: true, events: N, complete: true });
  });

  it('when the stream arrives in tiny chunks that split lines anywhere, then it still verifies', async () => {
    const text = Buffer.from(await fullExport(rows, key));
    const chunks = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) => text.subarray(i * 7, i * 7 + 7));
    await expect(verifyExport(Readable.from(chunks), { jwks: key.jwks })).resolves.toMatchObject({
      ok: true,
      events: N,
    });
  });

  it('when events hold non-ASCII text, then their UTF-8 bytes are hashed and the export verifies', async () => {
    const accented = buildChain(3, (i) => ({
      time: `2025-01-01T00:00:0${i}.000Z`,
      action: 'data.read',
      actor: { kind: 'company', id: 'Société-Générale-😀' },
    }));
    await expect(verifyText(await fullExport(accented, key))).resolves.toMatchObject({
      ok: true,
      events: 3,
      complete: true,
    });
  });

  it('when the log is empty and the checkpoint is at genesis, then the export is complete with no events', async () => {
    await expect(verifyText(await fullExport([], key))).resolves.toMatchObject({ ok: true, events: 0, complete: true });
  });
});

describe('verifyExport, tampering with one event', () => {
  it.each(tamperCases())('when we %s (k=%i), then verify fails naming seq %i', async (_name, k, expected, tamper) => {
    await expect(verifyText(await exportWith(tamper(rows, k)))).resolves.toMatchObject({ ok: false, badSeq: expected });
  });

  it('when an event line is cut short, then verify names its seq as malformed', async () => {
    const text = await exportWith(rows);
    const lines = text.split('\n');
    lines[5] = lines[5]!.slice(0, 80);
    await expect(verifyText(lines.join('\n'))).resolves.toMatchObject({ ok: false, badSeq: 5, reason: /layout/ });
  });

  it('when the prev of a line is not hex, then verify names that seq', async () => {
    const text = (await exportWith(rows)).replace(`"prev":"${rows[3]!.prev_hash}"`, `"prev":"${'z'.repeat(64)}"`);
    await expect(verifyText(text)).resolves.toMatchObject({ ok: false, badSeq: 4 });
  });
});

describe('verifyExport, the checkpoint', () => {
  const withCheckpoint = async (cp: object) => {
    const [header, ...rest] = (await fullExport(rows, key)).split('\n');
    const h = JSON.parse(header!);
    return [JSON.stringify({ ...h, checkpoint: { ...h.checkpoint, ...cp } }), ...rest].join('\n');
  };

  it('when it is signed by a key not in the JWKS, then verify fails before reading events', async () => {
    const forger = await makeKey('k1');
    const forged = await forger.sign({ seq: N, hash: rows[N - 1]!.hash, time: CHECKPOINT_TIME });
    const result = await verifyText(await withCheckpoint(forged));
    expect(result).toMatchObject({ ok: false, badSeq: 0, events: 0, reason: /signature|key/ });
  });

  it('when its readable seq is changed, then verify fails (the signed payload disagrees)', async () => {
    await expect(verifyText(await withCheckpoint({ seq: N - 1 }))).resolves.toMatchObject({
      ok: false,
      badSeq: 0,
      reason: /differs/,
    });
  });

  it('when its signed payload is swapped for another, then verify fails', async () => {
    const other = await key.sign({ seq: N - 1, hash: rows[N - 2]!.hash, time: CHECKPOINT_TIME });
    await expect(verifyText(await withCheckpoint({ jws: other.jws }))).resolves.toMatchObject({ ok: false, badSeq: 0 });
  });

  it('when a genuine checkpoint names a hash the chain does not reach, then verify names that seq', async () => {
    const wrong = await key.sign({ seq: 6, hash: 'ab'.repeat(32), time: CHECKPOINT_TIME });
    const text = `${JSON.stringify({ format: 'vault-audit-export', version: 1, filtered: false, checkpoint: wrong })}\n${rows.slice(0, 6).map(jsonlLine).join('')}`;
    await expect(verifyText(text)).resolves.toMatchObject({ ok: false, badSeq: 6, reason: /checkpoint/ });
  });

  it('when the header is missing, then nothing anchors the events: ok but neither anchored nor complete, and a failure if completeness is expected', async () => {
    const text = rows.map(jsonlLine).join('');
    await expect(verifyText(text)).resolves.toMatchObject({
      ok: true,
      events: N,
      checkpoint: null,
      anchored: false,
      complete: false,
    });
    await expect(verifyText(text, { expectComplete: true })).resolves.toMatchObject({ ok: false, badSeq: 0 });
  });
});

describe('verifyExport, a filtered export', () => {
  const picked = () => rows.filter((r) => r.seq % 3 === 0);
  const filtered = async (body: AuditRow[]) => {
    const checkpoint = await key.sign({ seq: N, hash: rows[N - 1]!.hash, time: CHECKPOINT_TIME });
    return exportToString(body, { format: 'jsonl', checkpoint, filter: { company: 'cmp_3' } });
  };

  it('when valid, then every event verifies but, its chain broken by gaps, it is neither anchored nor complete', async () => {
    // seq 12 is the checkpoint's and matches it, yet the events before it are not linked to it.
    await expect(verifyText(await filtered(picked()))).resolves.toMatchObject({
      ok: true,
      events: 4,
      complete: false,
      anchored: false,
    });
  });

  it('when an event before a gap is edited and its hash recomputed, then no link shows it: the export is not anchored', async () => {
    const body = picked().map((r) =>
      r.seq === 6 ? { ...r, body: backdate(r.body), hash: chainHash(r.prev_hash, backdate(r.body)) } : r,
    );
    await expect(verifyText(await filtered(body))).resolves.toMatchObject({ ok: true, anchored: false });
  });

  it('when its events run unbroken up to the checkpoint (a --from range), then it is anchored but not complete', async () => {
    await expect(verifyText(await filtered(rows.slice(4)))).resolves.toMatchObject({
      ok: true,
      firstSeq: 5,
      anchored: true,
      complete: false,
    });
  });

  it('when its unbroken run stops before the checkpoint (a --to range), then it is not anchored', async () => {
    await expect(verifyText(await filtered(rows.slice(0, 8)))).resolves.toMatchObject({
      ok: true,
      anchored: false,
      complete: false,
    });
  });

  it('when an event in it is edited, then verify names its seq', async () => {
    const body = picked().map((r) => (r.seq === 6 ? { ...r, body: r.body.replace('2025', '2024') } : r));
    await expect(verifyText(await filtered(body))).resolves.toMatchObject({ ok: false, badSeq: 6 });
  });

  it('when its events are reordered, then verify names the one out of place', async () => {
    const [header, a, b, ...rest] = (await filtered(picked())).split('\n');
    await expect(verifyText([header, b, a, ...rest].join('\n'))).resolves.toMatchObject({ ok: false, badSeq: 3 });
  });

  it('when an event is left out, then verify cannot tell (the documented limit of a filtered export)', async () => {
    await expect(verifyText(await filtered(picked().filter((r) => r.seq !== 6)))).resolves.toMatchObject({
      ok: true,
      complete: false,
    });
  });

  it('when completeness is demanded of it, then verify fails at the first missing seq', async () => {
    await expect(verifyText(await filtered(picked()), { expectComplete: true })).resolves.toMatchObject({
      ok: false,
      badSeq: 1,
    });
  });
});

describe('verifyRows, the live table', () => {
  const head = () => ({ seq: N, hash: rows[N - 1]!.hash, time: CHECKPOINT_TIME });

  it('when the rows are intact, then every row verifies and the table is complete', async () => {
    await expect(verifyRows(rows)).resolves.toMatchObject({ ok: true, events: N, complete: true });
  });

  it('when the table has grown past its latest checkpoint, then it still verifies', async () => {
    await expect(verifyRows(rows, { checkpoint: { ...head(), seq: 6, hash: rows[5]!.hash } })).resolves.toMatchObject({
      ok: true,
      anchored: true,
    });
  });

  it.each(tamperCases())(
    'when we %s (k=%i) in the table, then verify names seq %i',
    async (_name, k, expected, tamper) => {
      await expect(verifyRows(tamper(rows, k), { checkpoint: head() })).resolves.toMatchObject({
        ok: false,
        badSeq: expected,
      });
    },
  );

  it('when given an async iterable, then the result is the same', async () => {
    async function* gen() {
      yield* rows;
    }
    await expect(verifyRows(gen())).resolves.toMatchObject({ ok: true, events: N });
  });

  it('when the table is empty, then it is complete with no events', async () => {
    await expect(
      verifyRows([], { checkpoint: { seq: 0, hash: GENESIS_HASH, time: CHECKPOINT_TIME } }),
    ).resolves.toMatchObject({ ok: true, events: 0, complete: true });
  });
});

describe('describeVerifyResult', () => {
  it('when the export is complete, then the sentence says so and names the checkpoint', async () => {
    expect(describeVerifyResult(await verifyText(await fullExport(rows, key)))).toBe(
      `OK: ${N} events (seq 1..${N}) verified; complete up to the checkpoint signed for seq ${N} at ${CHECKPOINT_TIME}`,
    );
  });

  it('when verify failed, then the sentence names the seq and the reason', async () => {
    const sentence = describeVerifyResult(await verifyText(await exportWith(rows.filter((r) => r.seq !== 4))));
    expect(sentence).toBe(
      'FAILED at seq 4: event 4 is missing before seq 5 (deleted or moved) (3 events verified before it)',
    );
  });

  it('when the export starts after seq 1, then the sentence says which events are not in it', async () => {
    const text = (await fullExport(rows, key))
      .split('\n')
      .filter((_, i) => i === 0 || i > 4)
      .join('\n')
      .replace('"filtered":false', '"filtered":true');
    expect(describeVerifyResult(await verifyText(text))).toMatch(
      /verified against the checkpoint signed for seq 12 .*NOT proven complete \(seq 1\.\.4 are not in the input\)/,
    );
  });

  it('when no checkpoint covers the events, then the sentence says NOT PROVEN and why', async () => {
    expect(describeVerifyResult(await verifyText(rows.map(jsonlLine).join('')))).toBe(
      `NOT PROVEN: ${N} events (seq 1..${N}) consistent with each other, but not anchored: no signed checkpoint covers these events; their integrity is not proven`,
    );
  });

  it('when the live table runs past its checkpoint, then the sentence says which rows are not yet signed', async () => {
    expect(
      describeVerifyResult(
        await verifyRows(rows, { checkpoint: { seq: 6, hash: rows[5]!.hash, time: CHECKPOINT_TIME } }),
      ),
    ).toMatch(
      /complete up to the checkpoint signed for seq 6 .*; seq 7\.\.12 are newer and not yet covered by a checkpoint$/,
    );
  });
});

describe('verifyVerdict, what exit 0 may mean', () => {
  it('when the live table has no checkpoint yet, then it is not anchored either, and passes through one once signed', async () => {
    expect(verifyVerdict(await verifyRows(rows))).toMatchObject({
      ok: false,
      text: expect.stringMatching(/not anchored: no signed checkpoint covers these events/),
    });
    expect(
      verifyVerdict(await verifyRows(rows, { checkpoint: { seq: 6, hash: rows[5]!.hash, time: CHECKPOINT_TIME } })),
    ).toMatchObject({ ok: true });
  });

  const picked = async () =>
    exportToString(
      rows.filter((r) => r.seq % 3 === 0),
      {
        format: 'jsonl',
        checkpoint: await key.sign({ seq: N, hash: rows[N - 1]!.hash, time: CHECKPOINT_TIME }),
        filter: { company: 'cmp_3' },
      },
    );
  const cases: [string, () => Promise<string>, boolean, boolean, RegExp][] = [
    ['a full export', () => fullExport(rows, key), true, true, /^OK: /],
    ['an empty file', async () => '', false, true, /not anchored: the input is empty/],
    [
      'events with no header',
      async () => rows.map(jsonlLine).join(''),
      false,
      true,
      /not anchored: no signed checkpoint covers these events; their integrity is not proven/,
    ],
    [
      'a filtered export',
      picked,
      false,
      true,
      /not anchored: the signed checkpoint \(seq 12\) does not cover these events/,
    ],
    [
      'an edited event',
      () => exportWith(rows.map((r) => (r.seq === 3 ? { ...r, body: backdate(r.body) } : r))),
      false,
      false,
      /^FAILED at seq 3/,
    ],
  ];
  it.each(cases)(
    'when given %s, then ok is %s (and %s with --allow-unanchored)',
    async (_name, text, ok, okAllowed, message) => {
      const result = await verifyText(await text());
      const strict = verifyVerdict(result);
      expect(strict).toMatchObject({ ok, json: { ok } });
      expect(strict.text).toMatch(message);
      const allowed = verifyVerdict(result, { allowUnanchored: true });
      expect(allowed.ok).toBe(okAllowed);
      if (!ok && okAllowed)
        expect(allowed).toMatchObject({
          text: expect.stringMatching(/^WARNING: not anchored: .*--allow-unanchored/),
          json: { ok: true, anchored: false, warning: expect.stringMatching(/not proven/) },
        });
    },
  );
});
