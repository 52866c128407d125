import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * The background checkpointer of a SQLite vault (ARCHITECTURE.md, "Speed: what we design with"). Left to itself,
 * SQLite copies the write-ahead log into the database inside the COMMIT that crosses 1000 pages: on the event loop,
 * a thousand page writes and two fsyncs, 2-16 ms in which no request is served, about every three seconds under
 * load, and the company read's p99 was made of those stalls. So the server's connection never checkpoints
 * (`wal_autocheckpoint = 0`) and a thread of its own, with its own connection to the same file, runs a PASSIVE
 * checkpoint every `CHECKPOINT.intervalMs`, beside the writer (WAL lets a checkpoint run while one connection
 * writes). The log restarts from its beginning at the first write after a checkpoint has copied all of it; under
 * steady load a checkpoint that runs beside the writer never copies all of it (the writer has always added frames
 * since it began), and the log grew without end (1 GB in four minutes of the bench, and every page read searched
 * its whole index), so the group commit holds its next batch for one checkpoint once the log is past
 * `CHECKPOINT.restartFrames` (group-commit.ts, `restartLog`).
 *
 * Durability is SQLite's own: the checkpoint syncs the log before it copies and the database file after, and only
 * then may the log restart. A checkpoint that fails for any reason but a busy or locked database calls
 * `onFailure` (the group commit then releases nothing more, as after a failed fsync of the log) and the
 * checkpointer stops for good: after a failed fsync the next one may claim success for pages that never reached
 * the disk. If the thread itself dies, the connection checkpoints by itself again (`onFallback`).
 */
export const CHECKPOINT = {
  /** How often the thread checkpoints: ~200-500 log pages at the bench's write rate, under SQLite's 1000. */
  intervalMs: 250,
  /** SQLite's own default, restored when the thread is gone. */
  autocheckpointPages: 1000,
  /**
   * Log frames (pages) past which the group commit restarts the log (group-commit.ts, `restartLog`): 4096 frames,
   * 16 MB at SQLite's 4 KB pages.
   */
  restartFrames: 4096,
  /** The longest the group commit holds its batches for one such checkpoint. */
  holdMs: 1000,
};

export interface CheckpointResult {
  /** 1 when a reader or writer kept part of the log from being copied this time. */
  busy: number;
  /** Frames in the log, and how many of them are in the database file now. */
  log: number;
  checkpointed: number;
}

export interface Checkpointer {
  /** One checkpoint now (the timer's, or an extra one): SQLite's answer. */
  now(): Promise<CheckpointResult>;
  /** The last checkpoint's answer (undefined before the first): how long the log is. */
  latest(): CheckpointResult | undefined;
  /**
   * Stops the timer and closes the thread's connection; resolves once the thread is gone, so that the server's own
   * connection, closed after it, is the last one (SQLite removes the log and its index with the last connection).
   */
  close(): Promise<void>;
}

type Reply = { ok: true } & CheckpointResult;
type Failure = { ok: false; code?: string; message: string };

const BENIGN = /^SQLITE_(BUSY|LOCKED)/;

export function startCheckpointer(
  sqlite: Database.Database,
  on: { onFailure: (e: Error) => void; onFallback: (e: Error) => void },
  opts: { intervalMs?: number; workerCode?: string } = {},
): Checkpointer {
  // `workerCode`: a stand-in thread's source, for tests of what a failing or vanishing thread does.
  const worker = new Worker(opts.workerCode ?? new URL('./checkpoint-worker.mjs', import.meta.url), {
    workerData: { file: sqlite.name },
    // Plain JavaScript: no tsx loader in the thread.
    execArgv: [],
    eval: opts.workerCode !== undefined,
  });
  // The thread never keeps the process alive: a server that stops checkpoints no more.
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  let latest: CheckpointResult | undefined;
  const waiters: Array<{ resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }> = [];

  const stop = () => {
    stopped = true;
    clearInterval(timer);
    for (const w of waiters.splice(0)) w.reject(new Error('the checkpointer has stopped'));
  };
  worker.on('message', (m: Reply | Failure) => {
    const w = waiters.shift();
    if (m.ok) {
      latest = { busy: m.busy, log: m.log, checkpointed: m.checkpointed };
      return w?.resolve(latest);
    }
    const e = new Error(`checkpoint failed: ${m.code ?? 'error'}: ${m.message}`);
    w?.reject(e);
    if (stopped || BENIGN.test(m.code ?? '')) return;
    stop();
    worker.postMessage('close');
    on.onFailure(e);
  });
  const fallBack = (e: Error) => {
    if (stopped) return;
    stop();
    // A connection closed already (the thread found its file gone) has nothing left to checkpoint.
    if (!sqlite.open) return;
    sqlite.pragma(`wal_autocheckpoint = ${CHECKPOINT.autocheckpointPages}`);
    on.onFallback(e);
  };
  worker.on('error', fallBack);
  const exited = new Promise<void>((resolve) =>
    worker.on('exit', (code) => {
      fallBack(new Error(`the checkpoint thread stopped (exit code ${code})`));
      resolve();
    }),
  );

  const now = (): Promise<CheckpointResult> => {
    if (stopped) return Promise.reject(new Error('the checkpointer has stopped'));
    return new Promise((resolve, reject) => {
      waiters.push({ resolve, reject });
      worker.postMessage('checkpoint');
    });
  };
  // One at a time: the timer skips a turn while a checkpoint is still running.
  const timer = setInterval(() => {
    if (waiters.length === 0) now().catch(() => {});
  }, opts.intervalMs ?? CHECKPOINT.intervalMs);
  timer.unref();

  return {
    now,
    latest: () => latest,
    close() {
      if (!stopped) {
        stop();
        worker.postMessage('close');
        // A connection still in use after this checkpoints by itself again.
        if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${CHECKPOINT.autocheckpointPages}`);
      }
      return exited;
    },
  };
}
