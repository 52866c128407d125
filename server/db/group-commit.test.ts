import { closeSync, fsync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction, openDatabase, WAL_SIZE_LIMIT, type Db } from './connection.ts';
import { createGroupCommit, type DurabilityMode } from './group-commit.ts';

let dir: string;
let db: Db;
const rows = () => (db.$client.prepare('select v from t order by v').all() as { v: string }[]).map((r) => r.v);
const insert = (v: string) => db.$client.prepare('insert into t (v) values (?)').run(v);
/** One turn of the event loop. */
const turn = () => new Promise((r) => setImmediate(r));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  db = openDatabase(join(dir, 'g.db'));
  db.$client.exec('create table t (v text not null unique)');
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each<DurabilityMode>(['GROUP', 'FULL', 'NORMAL'])('group commit, mode %s', (mode) => {
  const commit = () => createGroupCommit(db, `${db.$client.name}-wal`, mode);

  it('when units are submitted in one turn, then they run in one transaction and each resolves with its own result', async () => {
    const g = commit();
    const seen: boolean[] = [];
    const results = await Promise.all(
      ['a', 'b', 'c'].map((v) =>
        g.submit(() => {
          seen.push(db.$client.inTransaction);
          insert(v);
          return rows().length;
        }),
      ),
    );
    // Each unit sees the rows of the units before it in the same batch transaction.
    expect(results).toEqual([1, 2, 3]);
    expect(seen).toEqual([true, true, true]);
    expect(rows()).toEqual(['a', 'b', 'c']);
    g.close();
  });

  it('when one unit throws after writing, then only its writes are undone and only its caller gets the error', async () => {
    const g = commit();
    const outcomes = await Promise.allSettled([
      g.submit(() => insert('a')),
      g.submit(() => {
        insert('b');
        throw new Error('refused midway');
      }),
      g.submit(() => insert('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('refused midway');
    expect(rows()).toEqual(['a', 'c']);
    g.close();
  });

  it('when the commit itself fails, then every unit of the batch is refused and nothing is kept', async () => {
    const g = commit();
    // A deferred constraint fails at COMMIT, after every unit has run successfully.
    db.$client.exec('create table child (p text references t(v) deferrable initially deferred)');
    const outcomes = await Promise.allSettled([
      g.submit(() => insert('a')),
      g.submit(() => db.$client.prepare("insert into child (p) values ('missing')").run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(rows()).toEqual([]);
    g.close();
  });
});

describe('group commit durability', () => {
  it('when a real fsync fails, then that batch and every later unit are refused, even if the disk seems to recover', async () => {
    let failNext = true;
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP', {
      fsync: ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
        if (failNext) {
          failNext = false;
          return setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
        }
        return fsync(fd, cb);
      }) as typeof fsync,
    });
    expect(g.healthy()).toBe(true);
    await expect(g.submit(() => insert('a'))).rejects.toThrow(/EIO/);
    expect(g.healthy()).toBe(false);
    await expect(g.submit(() => insert('b'))).rejects.toThrow(/could not be made durable/);
    // The refused unit never ran: nothing of it was written.
    expect(rows()).toEqual(['a']);
    g.close();
  });

  it('when an error rolls back the whole transaction inside one unit, then no unit of that batch commits', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP');
    const outcomes = await Promise.allSettled([
      g.submit(() => insert('a')),
      g.submit(() => {
        insert('b');
        // What SQLITE_FULL or an I/O error does: the whole transaction is gone, not only the savepoint.
        db.$client.exec('ROLLBACK');
        throw new Error('database or disk is full');
      }),
      g.submit(() => insert('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(rows()).toEqual([]);
    expect(db.$client.inTransaction).toBe(false);
    g.close();
  });

  it('when it is closed, then queued and later units are refused', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP');
    const queued = g.submit(() => insert('a'));
    g.close();
    await expect(queued).rejects.toThrow(/closed/);
    await expect(g.submit(() => insert('b'))).rejects.toThrow(/closed/);
    expect(rows()).toEqual([]);
  });

  it('when the shared fsync fails, then no unit of the batch gets its result', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP');
    g.durable = () => Promise.reject(new Error('EIO: simulated fsync failure'));
    const outcomes = await Promise.allSettled([g.submit(() => insert('a')), g.submit(() => 'no write')]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason.message).toMatch(/EIO/);
  });
});

describe('group commit batch size', () => {
  it('when more units are queued than a batch takes, then they commit in several transactions, in order, and all resolve', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP', { maxBatch: 4 });
    // A second connection sees only what earlier batches committed.
    const other = new Database(db.$client.name, { readonly: true });
    const committed = other.prepare('select count(*) n from t');
    const seen = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        g.submit(() => {
          insert(`v${String(i).padStart(2, '0')}`);
          return (committed.get() as { n: number }).n;
        }),
      ),
    );
    expect(seen).toEqual([0, 0, 0, 0, 4, 4, 4, 4, 8, 8]);
    expect(rows()).toHaveLength(10);
    other.close();
    g.close();
  });
});

describe('group commit while the fsync is in flight', () => {
  /** An fsync held until the test lets it finish: each call's callback, in order. */
  const heldFsync = () => {
    const calls: Array<() => void> = [];
    const fake = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      calls.push(() => fsync(fd, cb));
    }) as unknown as typeof fsync;
    return { fake, calls };
  };
  it('when units arrive in several turns during an fsync, then they wait for it and commit in one batch after it', async () => {
    const { fake, calls } = heldFsync();
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP', { fsync: fake, checkpointer: false });
    const other = new Database(db.$client.name, { readonly: true });
    const committed = other.prepare('select count(*) n from t');
    const unit = (v: string) =>
      g.submit(() => {
        insert(v);
        return (committed.get() as { n: number }).n;
      });
    const a = unit('a');
    while (calls.length === 0) await turn();
    // The first batch's fsync is in flight: three units in three turns run nothing yet.
    const later = [];
    for (const v of ['b', 'c', 'd']) {
      later.push(unit(v));
      await turn();
    }
    expect(committed.get()).toEqual({ n: 1 });
    calls.shift()!();
    expect(await a).toBe(0);
    while (calls.length === 0) await turn();
    // One batch after it: each saw only the first batch committed, none another's.
    calls.shift()!();
    expect(await Promise.all(later)).toEqual([1, 1, 1]);
    expect(rows()).toEqual(['a', 'b', 'c', 'd']);
    other.close();
    await g.close();
  });

  it('when a full batch gathers during an fsync, then it runs without waiting for it', async () => {
    const { fake, calls } = heldFsync();
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP', {
      fsync: fake,
      checkpointer: false,
      maxBatch: 2,
    });
    const first = g.submit(() => insert('a'));
    while (calls.length === 0) await turn();
    const full = [g.submit(() => insert('b')), g.submit(() => insert('c'))];
    while (rows().length < 3) await turn();
    // Committed while the first fsync is still held; answered only after an fsync that began after their COMMIT.
    expect(calls).toHaveLength(1);
    calls.shift()!();
    await first;
    while (calls.length === 0) await turn();
    calls.shift()!();
    await Promise.all(full);
    await g.close();
  });
});

describe('group commit log restart', () => {
  /** The write-ahead log header's checkpoint sequence number: SQLite adds one each time the log restarts. */
  const restartsOf = (wal: string) => {
    const fd = openSync(wal, 'r');
    try {
      const header = Buffer.alloc(16);
      return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : 0;
    } finally {
      closeSync(fd);
    }
  };

  it('when writes never pause, then the log still restarts from its beginning, and every row stays', async () => {
    const wal = `${db.$client.name}-wal`;
    const restartFrames = 64;
    const g = createGroupCommit(db, wal, 'GROUP', { maxBatch: 1, restartFrames, checkpointIntervalMs: 5 });
    // The checkpoint thread is up (its first answer is in) before the writes start.
    await g.checkpoint();
    const first = restartsOf(wal);
    let restarts = 0;
    let seq = first;
    const poll = setInterval(() => {
      const now = restartsOf(wal);
      if (now !== seq) restarts++;
      seq = now;
    }, 1);
    // 4,000 units of one batch each, queued at once: batch after batch with no turn of the loop left without a write,
    // so a checkpoint running beside them never finds the log copied in full by itself. Each writes about a page.
    const pad = 'x'.repeat(3000);
    const units = 4000;
    await Promise.all(Array.from({ length: units }, (_, i) => g.submit(() => insert(`${i} ${pad}`))));
    clearInterval(poll);
    expect(rows()).toHaveLength(units);
    expect(restarts).toBeGreaterThanOrEqual(2);
    await g.close();
  });

  it('when a reader on another connection holds part of the log, then batches go on without a restart, and restart once it is gone', async () => {
    const wal = `${db.$client.name}-wal`;
    const g = createGroupCommit(db, wal, 'GROUP', { maxBatch: 1, restartFrames: 64, checkpointIntervalMs: 5 });
    await g.submit(() => insert('first'));
    const reader = new Database(db.$client.name, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('select count(*) from t').get();
    const pad = 'y'.repeat(3000);
    const stream = (from: number, n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => g.submit(() => insert(`${from + i} ${pad}`))));
    const before = restartsOf(wal);
    await stream(0, 2000);
    // The reader's snapshot keeps the log's frames after it from being copied: no restart, and no batch stalled.
    expect(restartsOf(wal)).toBe(before);
    reader.exec('COMMIT');
    reader.close();
    await stream(2000, 2000);
    expect(restartsOf(wal)).not.toBe(before);
    expect(rows()).toHaveLength(4001);
    await g.close();
  });

  it('when the checkpoint of a restart hangs, then nothing writes while it is held, and after the bound everything goes on', async () => {
    // A stand-in thread: its first answer says the log is long, and it never answers again (a stuck disk).
    const hanging = `const { parentPort } = require('node:worker_threads');
      let answered = false;
      parentPort.on('message', (m) => {
        if (m === 'close') return parentPort.close();
        if (!answered) parentPort.postMessage({ ok: true, busy: 0, log: 100000, checkpointed: 100000 });
        answered = true;
      });`;
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP', {
      restartFrames: 64,
      holdMs: 1000,
      checkpointIntervalMs: 3_600_000,
      checkpointWorkerCode: hanging,
    });
    expect((await g.checkpoint())?.log).toBe(100000);
    const unit = g.submit(() => insert('batch'));
    await turn();
    // The hold has begun: a unit of the connection's own, outside the group commit, waits for it too.
    const other = inTransaction(db, async () => insert('other'));
    await turn();
    expect(rows()).toEqual([]);
    await Promise.all([unit, other]);
    expect(rows()).toEqual(['batch', 'other']);
    await g.close();
  });

  it('when the vault opens its database, then a log that grew past 32 MB is cut back to that when it restarts', () => {
    expect(db.$client.pragma('journal_size_limit', { simple: true })).toBe(WAL_SIZE_LIMIT);
    expect(WAL_SIZE_LIMIT).toBe(32 * 1024 * 1024);
  });
});

describe('group commit with async units', () => {
  it('when a unit awaits store calls, then its writes commit with the batch', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP');
    const asyncInsert = async (v: string) => insert(v);
    const results = await Promise.all([
      g.submit(async () => {
        await asyncInsert('a');
        await asyncInsert('b');
        return rows().length;
      }),
      g
        .submit(async () => {
          await asyncInsert('c');
          throw new Error('refused after an await');
        })
        .catch((e: Error) => e.message),
    ]);
    expect(results).toEqual([2, 'refused after an await']);
    expect(rows()).toEqual(['a', 'b']);
    g.close();
  });

  it('when a unit awaits a timer, then the guard refuses the batch and rolls it back', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP');
    const outcomes = await Promise.allSettled([
      g.submit(() => insert('a')),
      g.submit(async () => {
        insert('b');
        await new Promise((resolve) => setImmediate(resolve));
        insert('c');
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('a database unit yielded to the event loop');
    expect(rows()).toEqual([]);
    expect(db.$client.inTransaction).toBe(false);
    g.close();
  });
});

describe('inTransaction', () => {
  it('when the body awaits store calls, then it commits; when it throws, then nothing is kept', async () => {
    await inTransaction(db, async () => {
      insert('a');
      await Promise.resolve();
      insert('b');
    });
    await expect(
      inTransaction(db, async () => {
        insert('c');
        await Promise.resolve();
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(rows()).toEqual(['a', 'b']);
    expect(db.$client.inTransaction).toBe(false);
  });

  it('when a nested call throws, then only its savepoint is undone', async () => {
    await inTransaction(db, async () => {
      insert('a');
      await inTransaction(db, () => {
        insert('b');
        throw new Error('inner');
      }).catch(() => undefined);
      await inTransaction(db, () => insert('c'));
    });
    expect(rows()).toEqual(['a', 'c']);
  });

  it('when two callers open units in the same turn, then the second waits for the first and neither undoes the other', async () => {
    // As when a group commit releases its callers together and each goes on to a unit of its own.
    const first = inTransaction(db, async () => {
      insert('a');
      await Promise.resolve();
      await Promise.resolve();
      throw new Error('first undone');
    });
    const second = inTransaction(db, async () => {
      insert('b');
    });
    await expect(first).rejects.toThrow('first undone');
    await second;
    expect(rows()).toEqual(['b']);
    expect(db.$client.inTransaction).toBe(false);
  });

  it('when a caller opens a unit while a batch runs, then it waits for the batch and is not undone with its unit', async () => {
    const g = createGroupCommit(db, `${db.$client.name}-wal`, 'FULL');
    // Another request's code: a continuation registered outside the batch, which the batch's unit happens to wake.
    let wake!: () => void;
    const during = new Promise<void>((resolve) => (wake = resolve)).then(() =>
      inTransaction(db, async () => {
        // It runs after the batch: the batch unit's row was already undone.
        expect(rows()).toEqual([]);
        insert('b');
      }),
    );
    await g
      .submit(async () => {
        insert('a');
        wake();
        await Promise.resolve();
        await Promise.resolve();
        throw new Error('batch unit undone');
      })
      .catch(() => undefined);
    await during;
    expect(rows()).toEqual(['b']);
    g.close();
  });

  it('when the body awaits a timer, then it is refused and rolled back', async () => {
    await expect(
      inTransaction(db, async () => {
        insert('a');
        await new Promise((resolve) => setImmediate(resolve));
      }),
    ).rejects.toThrow('a database unit yielded to the event loop');
    expect(rows()).toEqual([]);
    expect(db.$client.inTransaction).toBe(false);
  });
});
