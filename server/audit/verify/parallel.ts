/**
 * Verifying a large JSON Lines file on every core. SHA-256 over each event is most of the cost of
 * verify, and each line can be hashed without its neighbours, so the file is cut at line breaks
 * into slices, a few per thread. The main thread and the workers take slices from one queue (so a
 * worker that is slow to start, or a core busy with something else, just takes fewer), and the
 * slices' states are merged in file order (ChainChecker.absorb), relating each slice's first event
 * to the previous slice's last. The result is exactly the sequential one, failures included.
 */
import { availableParallelism } from 'node:os';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createChecker } from './chains-checker.ts';
import type { Checker } from './chains-checker.ts';
import type { ChainState, CheckerOptions } from './chain-checker.ts';
import { checkSlice } from './worker.ts';
import type { SliceBuffers, SliceTask } from './worker.ts';
import { WorkerPool } from './worker-pool.ts';
import type { PooledWorker } from './worker-pool.ts';

/**
 * Below this (about 230,000 events of the bench's mix), one thread is as fast as two or faster on the 2-core
 * machines this runs on (README "Benchmarks", 2026-12-01): a worker costs 30-40 ms of CPU to start and then
 * runs its code cold, and both threads together used 0.1-0.25 s more CPU than one on 100,000-400,000 events,
 * which a file this small does not win back.
 */
export const PARALLEL_MIN_BYTES = 128 * 1024 * 1024;
const SLICES_PER_THREAD = 4;

export function defaultThreads(): number {
  return Math.min(4, availableParallelism());
}

/** The offset just after the first line feed at or after `pos` (or `end`). */
async function nextLineStart(fh: FileHandle, buf: Buffer, pos: number, end: number): Promise<number> {
  while (pos < end) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    const i = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (i >= 0) return pos + i + 1;
    pos += bytesRead;
  }
  return end;
}

async function cutSlices(
  file: string,
  dataStart: number,
  size: number,
  count: number,
  options: CheckerOptions,
): Promise<SliceTask[]> {
  const cuts = [dataStart];
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let k = 1; k < count; k++) {
      const at = await nextLineStart(fh, buf, dataStart + Math.floor(((size - dataStart) * k) / count) - 1, size);
      if (at > cuts.at(-1)! && at < size) cuts.push(at);
    }
  } finally {
    await fh.close();
  }
  cuts.push(size);
  return cuts.slice(0, -1).map((start, index) => ({
    index,
    file,
    start,
    end: cuts[index + 1]!,
    options: { ...options, continuation: index > 0 },
  }));
}

/**
 * Checks [dataStart, size) of `file` on `threads` threads (this one included) and returns the
 * merged checker. If workers cannot run here, this thread checks every slice itself.
 */
export interface ParallelOptions {
  threads: number;
  onBytes?: (n: number) => void;
  /** Default true. False leaves every slice to the workers (tests use it to exercise them). */
  useMainThread?: boolean;
  /** Workers started ahead (threads - 1 of them); the caller closes it. Default: started here. */
  pool?: WorkerPool;
}

export interface ParallelOutcome {
  checker: Checker;
  slices: number;
  slicesByWorkers: number;
}

export async function checkFileParallel(
  file: string,
  dataStart: number,
  size: number,
  options: CheckerOptions,
  { threads, onBytes = () => {}, useMainThread = true, pool }: ParallelOptions,
): Promise<ParallelOutcome> {
  const tasks = await cutSlices(file, dataStart, size, threads * SLICES_PER_THREAD, options);
  const results: (ChainState | undefined)[] = new Array(tasks.length);
  const queue = [...tasks];
  // Once a slice has failed, later slices cannot change the answer: stop handing them out.
  let firstFailed = tasks.length;
  const take = (): SliceTask | undefined => {
    const task = queue.shift();
    return task && task.index < firstFailed ? task : undefined;
  };
  let slicesByWorkers = 0;
  const record = (index: number, state: ChainState) => {
    results[index] = state;
    if (state.failure) firstFailed = Math.min(firstFailed, index + 1);
  };

  const workers = pool ?? new WorkerPool(threads - 1);
  // A worker takes a slice once it has loaded (or at once, if it loaded while the header was checked);
  // one that cannot start or dies hands its slice back and bows out; this thread finishes.
  const workerRuns = workers.ready.map((started) =>
    started.then((w) => (w ? new Promise<void>((resolve) => run(w, resolve)) : undefined)),
  );
  function run(w: PooledWorker, resolve: () => void) {
    let current: SliceTask | undefined;
    const next = () => {
      current = take();
      if (current) w.worker.postMessage(current);
      else resolve();
    };
    w.gone = () => {
      if (current) queue.unshift(current);
      current = undefined;
      resolve();
    };
    w.handler = (m) => {
      if (m.type === 'progress') return onBytes(m.bytes);
      if (m.type === 'error') return w.gone();
      if (m.type === 'done') {
        record(m.index, m.state);
        slicesByWorkers++;
      }
      next();
    };
    next();
  }

  const bufs: SliceBuffers = {};
  try {
    if (useMainThread)
      for (let task = take(); task; task = take()) record(task.index, await checkSlice(task, onBytes, bufs));
    await Promise.all(workerRuns);
    for (let task = take(); task; task = take()) record(task.index, await checkSlice(task, onBytes, bufs));
  } finally {
    if (!pool) workers.close();
  }

  const merged = createChecker(options);
  for (let i = 0; i < tasks.length && !merged.state.failure; i++) {
    const state = results[i];
    if (!state) throw new Error(`slice ${i} was not checked`);
    if (i === 0) merged.absorb({ ...state, deferred: null });
    else merged.absorb(state);
  }
  return { checker: merged, slices: tasks.length, slicesByWorkers };
}
