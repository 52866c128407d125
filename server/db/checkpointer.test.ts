import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';
import { openDatabase, type Db } from './connection.ts';
import { createGroupCommit } from './group-commit.ts';

let dir: string;
let db: Db;
let cp: Checkpointer | undefined;
const autocheckpoint = () => db.$client.pragma('wal_autocheckpoint', { simple: true }) as number;
const walBytes = () => statSync(`${db.$client.name}-wal`).size;
/** Commits `n` transactions of one row each: n frames or more in the log. */
const write = (n: number, from = 0) => {
  const insert = db.$client.prepare('insert into t (v) values (?)');
  for (let i = from; i < from + n; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
};
// A stand-in thread that answers every checkpoint as a failed fsync would.
const FAILING = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => m === 'close' ? parentPort.close() : parentPort.postMessage({ ok: false, code: 'SQLITE_IOERR_FSYNC', message: 'disk I/O error' }));`;
// One that is gone before it answers anything.
const VANISHING = `process.exit(3);`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  db = openDatabase(join(dir, 'c.db'));
  db.$client.exec('create table t (v text not null)');
});
afterEach(() => {
  cp?.close();
  cp = undefined;
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the background checkpointer', () => {
  it('when it runs, then the connection never checkpoints by itself and the thread copies the whole log into the database', async () => {
    const failures: Error[] = [];
    // A long interval: only the checkpoints this test asks for run.
    cp = startCheckpointer(
      db.$client,
      { onFailure: (e) => failures.push(e), onFallback: (e) => failures.push(e) },
      {
        intervalMs: 3_600_000,
      },
    );
    expect(autocheckpoint()).toBe(0);
    // More than SQLite's 1000 pages: a connection checkpointing by itself would have restarted the log by now.
    write(1500);
    const copied = await cp.now();
    expect(copied.log).toBeGreaterThanOrEqual(1500);
    expect(copied).toEqual({ busy: 0, log: copied.log, checkpointed: copied.log });
    // Everything copied: the next transaction starts the log again from its beginning.
    write(1, 1500);
    expect((await cp.now()).log).toBeLessThan(10);
    expect(db.$client.prepare('select count(*) as n from t').get()).toEqual({ n: 1501 });
    expect(failures).toEqual([]);
  });

  it('when it closes, then the connection checkpoints by itself again', () => {
    cp = startCheckpointer(db.$client, { onFailure: () => {}, onFallback: () => {} });
    expect(autocheckpoint()).toBe(0);
    cp.close();
    expect(autocheckpoint()).toBe(1000);
  });

  it('when a checkpoint fails, then it reports the failure, stops for good and leaves the log alone', async () => {
    const failures: Error[] = [];
    cp = startCheckpointer(
      db.$client,
      { onFailure: (e) => failures.push(e), onFallback: () => {} },
      {
        intervalMs: 3_600_000,
        workerCode: FAILING,
      },
    );
    await expect(cp.now()).rejects.toThrow(/SQLITE_IOERR_FSYNC/);
    expect(failures.map((e) => e.message)).toEqual(['checkpoint failed: SQLITE_IOERR_FSYNC: disk I/O error']);
    await expect(cp.now()).rejects.toThrow(/stopped/);
    // No fallback to the connection's own checkpoints: after a failed fsync a retry may claim what never reached
    // the disk.
    expect(autocheckpoint()).toBe(0);
  });

  it('when its thread dies, then the connection checkpoints by itself again and says so', async () => {
    const fallbacks = await new Promise<Error[]>((resolve) => {
      const seen: Error[] = [];
      cp = startCheckpointer(
        db.$client,
        {
          onFailure: () => {},
          onFallback: (e) => {
            seen.push(e);
            resolve(seen);
          },
        },
        { workerCode: VANISHING },
      );
    });
    expect(fallbacks.map((e) => e.message)).toEqual(['the checkpoint thread stopped (exit code 3)']);
    expect(autocheckpoint()).toBe(1000);
    write(2000);
    // The connection checkpointed and restarted the log by itself at 1000 pages: the file never grew to 2000.
    expect(walBytes()).toBeLessThan(1500 * 4096);
  });

  it('when the thread dies after the connection was closed, then nothing throws and the checkpointer says it stopped', async () => {
    const fallbacks: Error[] = [];
    cp = startCheckpointer(
      db.$client,
      { onFailure: () => {}, onFallback: (e) => fallbacks.push(e) },
      // Dies at its first request, so that the test decides when.
      {
        intervalMs: 3_600_000,
        workerCode: `require('node:worker_threads').parentPort.on('message', () => process.exit(4));`,
      },
    );
    db.$client.close();
    await expect(cp.now()).rejects.toThrow(/stopped/);
    expect(fallbacks).toEqual([]);
  });

  it('when the checkpoint fails under a group commit, then the group commit releases nothing more', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP', { checkpointWorkerCode: FAILING });
    try {
      await expect(g.submit(() => write(1))).resolves.toBeUndefined();
      // The failing thread's first answer arrives after its first tick; wait for it through the contract.
      await expect.poll(() => g.healthy(), { timeout: 5_000, interval: 20 }).toBe(false);
      await expect(g.submit(() => write(1, 1))).rejects.toThrow(/could not be made durable/);
    } finally {
      g.close();
    }
  });
});
