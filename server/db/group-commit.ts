import { closeSync, fsync, openSync } from 'node:fs';
import { CHECKPOINT, startCheckpointer, type CheckpointResult } from './checkpointer.ts';
import type { Db } from './connection.ts';
import { flushCounts } from './tally.ts';
import { asUnit, inSavepoint, startYieldGuard, throughGate, unitStatements, type SqliteBatch } from './unit.ts';
import type { ReadAheadWanted } from './read-ahead.ts';

/**
 * Group commit for audited company requests (ARCHITECTURE.md, "Speed").
 *
 * `submit(fn)` queues a unit of work whose awaits are store calls only. Once per turn of the event loop
 * (setImmediate), every queued unit runs inside ONE SQLite transaction, each in its own savepoint: a unit that
 * throws is rolled back alone and its caller gets the error; the others commit together. The batch runs within
 * one turn of the event loop (a unit that yields is refused), so no other write can interleave with it.
 * In 'GROUP' mode the batch commits with synchronous=NORMAL (written to the WAL, not yet fsynced) and
 * then waits for `durable()`: one fsync of the WAL, shared by every batch committed before it
 * started, run on libuv's thread pool while the event loop keeps serving. Only then do the callers
 * get their results, so nothing leaves before its audit record is on disk, at the cost of one
 * commit and one fsync per batch instead of one per request.
 *
 * A batch takes at most `maxBatch` units (32): the rest wait for the next turn, so a batch's
 * answers go out while the next batch runs, and its fsync overlaps that work. While an fsync is in flight, units
 * gather for one batch after it rather than a batch per turn (`schedule`): on the bench's read this took the
 * server's CPU per read from about 175 to 160 µs (README "Benchmarks").
 *
 * The log is kept short: once the background checkpointer (checkpointer.ts) reports it past
 * `CHECKPOINT.restartFrames`, the next batch waits for one more checkpoint, which copies all of it now that
 * nothing is writing, so that this batch's BEGIN starts the log again from its beginning (`restartLog`).
 *
 * Modes: 'GROUP' (this), 'FULL' (SQLite fsyncs the batch's commit itself; durable() is immediate),
 * 'NORMAL' (no fsync before answering: survives a process crash, not a power loss; development only).
 */
export type DurabilityMode = 'GROUP' | 'FULL' | 'NORMAL';

export interface GroupCommit {
  /**
   * Runs fn in the next batch transaction; resolves with its result once that batch is durable. `ahead`: the reads
   * fn will start with (server/db/read-ahead.ts), which a PostgreSQL batch fetches for all its units in one round
   * trip (./pg/batch-read-ahead.ts); asked when the batch starts. SQLite has no round trips to save and ignores it.
   */
  submit<T>(fn: () => T | Promise<T>, ahead?: () => ReadAheadWanted): Promise<T>;
  /** Resolves once everything committed so far is durable. */
  durable(): Promise<void>;
  /** One checkpoint of the log now: SQLite's answer (undefined without a checkpointer, and on PostgreSQL). */
  checkpoint(): Promise<CheckpointResult | undefined>;
  /** False once an fsync has failed: from then on nothing more is released (see below). */
  healthy(): boolean;
  /**
   * Refuses new units; the WAL handle is closed once the fsync in flight (if any) has finished. Resolves once the
   * background checkpointer (checkpointer.ts) has closed its connection: close the database after that.
   */
  close(): Promise<void>;
}

/** Settles with p, or with undefined after ms if p has not settled by then. */
function boundedBy<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class GroupCommitFailed extends Error {
  override name = 'GroupCommitFailed';
}

interface Unit {
  fn: () => unknown | Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  ok?: boolean;
  value?: unknown;
}

export function createGroupCommit(
  db: Db,
  walPath: string,
  mode: DurabilityMode,
  opts: {
    maxBatch?: number;
    fsync?: typeof fsync;
    checkpointer?: boolean;
    checkpointWorkerCode?: string;
    /** Test seams: CHECKPOINT.restartFrames, CHECKPOINT.holdMs and CHECKPOINT.intervalMs. */
    restartFrames?: number;
    holdMs?: number;
    checkpointIntervalMs?: number;
  } = {},
): GroupCommit {
  const maxBatch = opts.maxBatch ?? 32;
  const syncFile = opts.fsync ?? fsync;
  const sqlite = db.$client;
  // The log is copied into the database by a thread of its own, not inside a batch's COMMIT (checkpointer.ts).
  const checkpointer =
    opts.checkpointer !== false && !sqlite.memory
      ? startCheckpointer(
          sqlite,
          {
            onFailure: (e) =>
              (broken ??= new GroupCommitFailed(`the database file could not be made durable: ${e.message}`)),
            onFallback: (e) =>
              process.emitWarning(`${e.message}; the connection checkpoints by itself again`, 'CheckpointerStopped'),
          },
          { workerCode: opts.checkpointWorkerCode, intervalMs: opts.checkpointIntervalMs },
        )
      : undefined;
  let queue: Unit[] = [];
  let scheduled = false;
  const restartFrames = opts.restartFrames ?? CHECKPOINT.restartFrames;
  const holdMs = opts.holdMs ?? CHECKPOINT.holdMs;
  /** A restart is under way: batches wait for it. */
  let restarting = false;
  /** The log's length at the last hold: the next is tried only once the log has grown a threshold past it. */
  let triedAt = 0;
  /** The checkpointer's answer the last hold was decided on (or made): the next decision waits for a newer one. */
  let decidedOn: CheckpointResult | undefined;

  /**
   * Holds the batches (the event loop goes on) for one checkpoint when the checkpointer last saw the log past the
   * threshold. The checkpoint runs through the connection's gate, so no unit of any kind writes on this connection
   * meanwhile, and copies the whole log unless a reader on another connection still needs part of it; the next write
   * then starts the log from its beginning (and `journal_size_limit`, connection.ts, cuts the file back at its
   * commit). At most `holdMs`: a checkpoint that hangs on a stuck disk must not hold every batch with it. Whether the
   * log did restart shows in a later answer: a log shorter than at the hold. Answers true while batches must wait.
   */
  function restartLog(): boolean {
    if (restarting) return true;
    const last = checkpointer?.latest();
    if (!last || last === decidedOn) return false;
    // Shorter than at the last hold: the log has restarted since.
    if (last.log < triedAt) triedAt = 0;
    if (last.log < triedAt + restartFrames) return false;
    restarting = true;
    triedAt = last.log;
    decidedOn = last;
    const resume = () => {
      decidedOn = checkpointer?.latest() ?? decidedOn;
      restarting = false;
      if (queue.length > 0) schedule();
    };
    void throughGate(sqlite, () => boundedBy(checkpointer!.now(), holdMs)).then(resume, resume);
    return true;
  }

  const stmts = unitStatements(sqlite);
  // One transaction, each unit in its own savepoint: a unit that throws is undone alone. The units' awaits are
  // store calls that complete synchronously on SQLite, so the batch still runs within one turn of the event
  // loop; the guard refuses the whole batch if a unit yielded (ARCHITECTURE.md, "The audited unit and group
  // commit").
  async function batch(units: Unit[]): Promise<void> {
    stmts.begin.run();
    const guard = startYieldGuard();
    const state: SqliteBatch = { tally: new Map(), head: undefined };
    try {
      for (const u of units) {
        try {
          u.value = await asUnit(sqlite, () => inSavepoint(sqlite, u.fn), state);
          u.ok = true;
        } catch (e) {
          // Some errors (SQLITE_FULL, IOERR, NOMEM) roll back the whole transaction, not only the
          // savepoint: then the batch as a whole has failed and none of its units may commit.
          if (!sqlite.inTransaction) throw e;
          u.ok = false;
          u.value = e;
        }
      }
      // The released units' counts, one write each, in the batch's transaction: a failure here fails the batch.
      await flushCounts(state.tally);
      guard.check();
      stmts.commit.run();
    } catch (e) {
      if (sqlite.inTransaction) stmts.rollback.run();
      throw e;
    } finally {
      guard.stop();
    }
  }
  // SQLite applies `PRAGMA synchronous = X` when the statement is compiled, not when it runs: preparing
  // both levels up front left the connection at FULL whatever the mode (NORMAL ran as FULL), and the
  // first run of a prepared pragma did nothing (the first GROUP batch committed at FULL). So each level
  // is compiled and run only at the moment it is wanted; the connection rests at the level openDatabase
  // set (FULL for GROUP and FULL, NORMAL for NORMAL).
  const setSynchronous = (level: 'NORMAL' | 'FULL') => sqlite.exec(`PRAGMA synchronous = ${level}`);

  function schedule(): void {
    if (scheduled) return;
    // GROUP: while the WAL's fsync is in flight, units gather for the batch after it instead of a batch per turn
    // (unless a full batch waits): its fixed costs and its COMMIT's page writes are paid once per fsync, and it is
    // answered no later, since a batch committed meanwhile would wait for this fsync and then its own.
    // The fsync's callback schedules them.
    if (syncing && queue.length < maxBatch) return;
    scheduled = true;
    setImmediate(() => void runBatch());
  }

  // Never rejects: every failure is handed to the units' callers.
  async function runBatch(): Promise<void> {
    scheduled = false;
    if (!broken && !closed && restartLog()) return;
    const units = queue.length > maxBatch ? queue.splice(0, maxBatch) : queue;
    if (units === queue) queue = [];
    else schedule();
    if (broken || closed) {
      for (const u of units) u.reject(broken ?? new GroupCommitFailed('the group commit is closed'));
      return;
    }
    try {
      if (mode === 'GROUP') setSynchronous('NORMAL');
      try {
        await throughGate(sqlite, () => batch(units));
      } finally {
        if (mode === 'GROUP') setSynchronous('FULL');
      }
    } catch (e) {
      // BEGIN or COMMIT itself failed: the whole batch is rolled back and nothing is released.
      for (const u of units) u.reject(e);
      return;
    }
    const failed = units.filter((u) => !u.ok);
    for (const u of failed) u.reject(u.value);
    if (failed.length === units.length) return;
    try {
      await api.durable();
    } catch (e) {
      for (const u of units) if (u.ok) u.reject(e);
      return;
    }
    for (const u of units) if (u.ok) u.resolve(u.value);
  }

  let fd: number | null = null;
  let syncing = false;
  let closed = false;
  // After a failed fsync the kernel may report the next one as successful although the earlier pages
  // never reached the disk, and the WAL's checksum chain would then drop later frames too. So the first
  // failure is final: every later unit is refused until the process restarts and SQLite recovers.
  let broken: GroupCommitFailed | undefined;
  let waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  function flush(): void {
    if (syncing || waiting.length === 0) return;
    const waiters = waiting;
    waiting = [];
    if (broken || closed) {
      for (const w of waiters) w.reject(broken ?? new GroupCommitFailed('the group commit is closed'));
      return;
    }
    syncing = true;
    try {
      fd ??= openSync(walPath, 'r');
    } catch (e) {
      syncing = false;
      for (const w of waiters) w.reject(e as Error);
      return;
    }
    syncFile(fd, (err) => {
      syncing = false;
      if (err) broken ??= new GroupCommitFailed(`the write-ahead log could not be made durable: ${err.message}`);
      for (const w of waiters) {
        if (err) w.reject(err);
        else w.resolve();
      }
      if (closed) closeFd();
      else flush();
      // The units that gathered while it ran (schedule).
      if (queue.length > 0) schedule();
    });
  }

  function closeFd(): void {
    if (fd !== null) closeSync(fd);
    fd = null;
  }

  const api: GroupCommit = {
    submit<T>(fn: () => T | Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    durable() {
      if (mode !== 'GROUP') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        flush();
      });
    },
    checkpoint: async () => checkpointer?.now(),
    healthy: () => broken === undefined,
    async close() {
      closed = true;
      if (!syncing) closeFd();
      await checkpointer?.close();
    },
  };
  return api;
}
