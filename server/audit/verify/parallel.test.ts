import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRow } from '../chain/event.ts';
import { jsonlLine } from '../export/format.ts';
import { buildChain, CHECKPOINT_TIME, fullExport, makeKey } from '../../../test/support/audit-chain.ts';
import type { TestKey } from '../../../test/support/audit-chain.ts';
import { TAMPERS } from '../../../test/support/audit-tamper.ts';
import { verifyExport } from './verify.ts';
import { checkFileParallel } from './parallel.ts';
import { WorkerPool } from './worker-pool.ts';

const N = 400;
let key: TestKey;
let rows: AuditRow[];
let dir: string;
let header: string;

beforeAll(async () => {
  key = await makeKey();
  rows = buildChain(N);
  dir = await mkdtemp(join(tmpdir(), 'audit-parallel-'));
  header = (await fullExport(rows, key)).split('\n')[0]!;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function fileWith(body: AuditRow[], name: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `${header}\n${body.map(jsonlLine).join('')}`);
  return file;
}

const dataStart = () => Buffer.byteLength(header) + 1;
const checkerOptions = () => ({
  checkpoint: { seq: N, hash: rows[N - 1]!.hash, time: CHECKPOINT_TIME },
  expectComplete: true,
  live: false,
});

/** The seq of the first line of the second half, where a two-thread split cuts the file. */
function seqAtCut(text: string): number {
  const dataStart = text.indexOf('\n') + 1;
  const mid = dataStart + Math.floor((text.length - dataStart) / 2) - 1;
  const cut = text.indexOf('\n', mid) + 1;
  return Number(/^\{"seq":(\d+)/.exec(text.slice(cut))![1]);
}

describe('verifying a file on several threads', () => {
  it('when the file is intact, then the merged slices give the same answer as one thread', async () => {
    const file = await fileWith(rows, 'valid.jsonl');
    const one = await verifyExport(file, { jwks: key.jwks, threads: 1 });
    const many = await verifyExport(file, { jwks: key.jwks, threads: 2, parallelMinBytes: 0 });
    expect(one).toMatchObject({ ok: true, events: N, complete: true });
    expect(many).toEqual(one);
  });

  it('when the main thread stays out, then the workers check every slice and the answer is the same', async () => {
    const file = await fileWith(rows, 'direct.jsonl');
    const outcome = await checkFileParallel(file, dataStart(), (await stat(file)).size, checkerOptions(), {
      threads: 3,
      useMainThread: false,
    });
    expect(outcome.slicesByWorkers).toBe(outcome.slices);
    expect(outcome.slices).toBeGreaterThan(2);
    expect(outcome.checker.finish()).toMatchObject({ ok: true, events: N, complete: true });
  });

  it('when workers were started ahead, then they take the slices once loaded and the answer is the same', async () => {
    const file = await fileWith(rows, 'pooled.jsonl');
    const pool = new WorkerPool(2);
    try {
      expect((await Promise.all(pool.ready)).every(Boolean)).toBe(true);
      const outcome = await checkFileParallel(file, dataStart(), (await stat(file)).size, checkerOptions(), {
        threads: 3,
        useMainThread: false,
        pool,
      });
      expect(outcome.slicesByWorkers).toBe(outcome.slices);
      expect(outcome.checker.finish()).toMatchObject({ ok: true, events: N, complete: true });
    } finally {
      pool.close();
    }
  });

  it('when a pool is closed before its workers load, then none is handed out', async () => {
    const pool = new WorkerPool(2);
    pool.close();
    expect(await Promise.all(pool.ready)).toEqual([undefined, undefined]);
  });

  // verifyExport starts the workers before it has read the header: whatever the header says, the
  // answer is the one-thread answer.
  it.each([
    [
      'a header whose checkpoint signature does not verify',
      (h: string) => h.replace(/"jws":"[^"]{8}/, '"jws":"AAAAAAAA'),
      false,
    ],
    ['a header that is not JSON', (h: string) => h.slice(0, -3), false],
    ['no header (bare event lines)', () => '', true],
  ])('when the file has %s, then the workers started ahead change nothing', async (name, edit, ok) => {
    const head = edit(header);
    const file = join(dir, `ahead-${name.replaceAll(' ', '-')}.jsonl`);
    await writeFile(file, `${head ? `${head}\n` : ''}${rows.map(jsonlLine).join('')}`);
    const one = await verifyExport(file, { jwks: key.jwks, threads: 1 });
    const many = await verifyExport(file, { jwks: key.jwks, threads: 2, parallelMinBytes: 0 });
    expect(one.ok).toBe(ok);
    expect(many).toEqual(one);
  });

  it('when the file is CSV, then the workers started ahead are not used and the answer is the same', async () => {
    const file = join(dir, 'ahead.csv');
    await writeFile(file, await fullExport(rows, key, 'csv'));
    const one = await verifyExport(file, { jwks: key.jwks, threads: 1 });
    const many = await verifyExport(file, { jwks: key.jwks, threads: 2, parallelMinBytes: 0 });
    expect(one).toMatchObject({ ok: true, events: N, complete: true });
    expect(many).toEqual(one);
  });

  it('when an event at the cut is edited, then workers alone name the same seq as one thread', async () => {
    const cut = seqAtCut(`${header}\n${rows.map(jsonlLine).join('')}`);
    const [, tamper] = TAMPERS.find(([name]) => name === 'edit event k and recompute its hash')!;
    const file = await fileWith(tamper(rows, cut), 'workers-edit.jsonl');
    const one = await verifyExport(file, { jwks: key.jwks, threads: 1 });
    const viaWorkers = await checkFileParallel(file, dataStart(), (await stat(file)).size, checkerOptions(), {
      threads: 2,
      useMainThread: false,
    });
    expect(one).toMatchObject({ ok: false, badSeq: cut });
    expect(viaWorkers.checker.finish()).toEqual(one);
  });

  // Every single-event tamper just before, at and just after a cut must name the same seq when the
  // file is checked in slices and merged (here all on this thread: the merge is what is under test).
  it.each(TAMPERS.map(([name, tamper]) => [name, tamper] as const))(
    'when we %s near a cut, then the merged slices name the same seq as one pass',
    async (name, tamper) => {
      const cut = seqAtCut(`${header}\n${rows.map(jsonlLine).join('')}`);
      for (const k of [cut - 1, cut, cut + 1]) {
        const file = await fileWith(tamper(rows, k), `t-${name.replaceAll(' ', '-')}-${k}.jsonl`);
        const one = await verifyExport(file, { jwks: key.jwks, threads: 1 });
        const sliced = await checkFileParallel(file, dataStart(), (await stat(file)).size, checkerOptions(), {
          threads: 1,
        });
        expect(one.ok, `${name} at ${k}`).toBe(false);
        expect(sliced.slices).toBeGreaterThan(2);
        expect({ k, ...sliced.checker.finish() }).toEqual({ k, ...one });
      }
    },
  );
});
