import { closeSync, fsync, openSync } from 'node:fs';
import type { Db } from './connection.ts';

/**
 * Group commit for audited reads (DESIGN §9). A company read commits its audit event with
 * synchronous=NORMAL (written to the WAL, not yet fsynced), then waits for `durable()`: one fsync of
 * the WAL file, shared by every read that committed before it started, runs on libuv's thread pool
 * while the event loop keeps serving. Only then is the response sent, so no data leaves before its
 * audit record is on disk — at the cost of one fsync per batch instead of one per read.
 *
 * Modes: 'GROUP' (this), 'FULL' (every commit fsynced by SQLite; durable() is immediate), 'NORMAL'
 * (no fsync before answering: survives a process crash, not a power loss; for development only).
 */
export type DurabilityMode = 'GROUP' | 'FULL' | 'NORMAL';

export interface GroupCommit {
  /** Runs fn (a synchronous transaction) under the mode's synchronous setting. */
  run<T>(fn: () => T): T;
  /** Resolves once everything committed so far is durable. */
  durable(): Promise<void>;
  close(): void;
}

export function createGroupCommit(db: Db, walPath: string, mode: DurabilityMode): GroupCommit {
  if (mode !== 'GROUP') {
    return { run: (fn) => fn(), durable: () => Promise.resolve(), close: () => {} };
  }
  let fd: number | null = null;
  let syncing = false;
  let waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  function flush(): void {
    if (syncing || waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    syncing = true;
    try {
      fd ??= openSync(walPath, 'r');
    } catch (e) {
      syncing = false;
      for (const w of batch) w.reject(e as Error);
      return;
    }
    fsync(fd, (err) => {
      syncing = false;
      for (const w of batch) (err ? w.reject(err) : w.resolve());
      flush();
    });
  }

  // Prepared once: better-sqlite3's pragma() compiles its statement on every call.
  const normal = db.$client.prepare('PRAGMA synchronous = NORMAL');
  const full = db.$client.prepare('PRAGMA synchronous = FULL');
  return {
    run<T>(fn: () => T): T {
      normal.run();
      try {
        return fn();
      } finally {
        full.run();
      }
    },
    durable() {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        flush();
      });
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
