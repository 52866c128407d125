/**
 * Verifying a large JSON Lines file on every core. SHA-256 over each event is most of the cost of
 * verify, and each line can be hashed without its neighbours, so the file is cut at line breaks
 * into one slice per core: the main thread checks the first slice, workers the others, and the
 * slices' states are merged in file order (ChainChecker.absorb), relating each slice's first event
 * to the previous slice's last. The result is exactly the sequential one, failures included.
 */
import { availableParallelism } from 'node:os';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ChainChecker } from './chain-checker.ts';
import type { ChainState, CheckerOptions } from './chain-checker.ts';
import { openFile, ReadWindow } from './read-source.ts';
import { checkJsonl } from './verify-jsonl.ts';
import type { SliceMessage, SliceTask } from './verify-worker.ts';

/** Below this, starting a worker (~100 ms with the TypeScript loader) costs more than it saves. */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

export function defaultThreads(): number {
  return Math.min(4, availableParallelism());
}

/** The offset just after the first line feed at or after `pos` (or `end`). */
async function nextLineStart(file: string, pos: number, end: number): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    while (pos < end) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      const i = buf.subarray(0, bytesRead).indexOf(0x0a);
      if (i >= 0) return pos + i + 1;
      pos += bytesRead;
    }
    return end;
  } finally {
    await fh.close();
  }
}

function runSlice(task: SliceTask, onBytes: (n: number) => void): { done: Promise<ChainState>; stop: () => void } {
  const worker = new Worker(new URL('./verify-worker.mjs', import.meta.url), { workerData: task });
  const done = new Promise<ChainState>((resolve, reject) => {
    worker.on('message', (m: SliceMessage) => {
      if (m.type === 'progress') onBytes(m.bytes);
      else if (m.type === 'done') resolve(m.state);
      else reject(new Error(m.message));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`verify worker exited with code ${code}`)));
  });
  const settled = done.finally(() => void worker.terminate());
  // Marked handled: when an earlier slice fails, this answer is never awaited.
  settled.catch(() => {});
  return { done: settled, stop: () => void worker.terminate() };
}

/**
 * Checks [dataStart, size) of `file` in `threads` slices; returns the merged checker. Throws if
 * a worker cannot start, so the caller can fall back to one thread.
 */
export async function checkFileParallel(
  file: string,
  dataStart: number,
  size: number,
  options: CheckerOptions,
  threads: number,
  onBytes: (n: number) => void,
): Promise<ChainChecker> {
  const cuts = [dataStart];
  for (let k = 1; k < threads; k++) {
    const at = await nextLineStart(file, dataStart + Math.floor(((size - dataStart) * k) / threads) - 1, size);
    if (at > cuts.at(-1)!) cuts.push(at);
  }
  cuts.push(size);
  const workers = cuts.slice(1, -1).map((start, i) =>
    runSlice({ file, start, end: cuts[i + 2]!, options: { ...options, continuation: true } }, onBytes));
  try {
    const first = new ChainChecker(options);
    const source = await openFile(file, { start: cuts[0]!, end: cuts[1]! });
    try {
      const win = new ReadWindow(source, 4 * 1024 * 1024, 64 * 1024 * 1024);
      let reported = 0;
      await win.fill();
      await checkJsonl(win, 0, first, () => {
        onBytes(win.bytesRead - reported);
        reported = win.bytesRead;
      });
    } finally {
      await source.close();
    }
    for (const w of workers) {
      if (first.state.failure) break; // an earlier failure wins; the rest cannot change the answer
      first.absorb(await w.done);
    }
    return first;
  } finally {
    for (const w of workers) w.stop();
  }
}
