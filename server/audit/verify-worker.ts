/**
 * Checks one slice of an export file on a worker thread (see verify-parallel.ts) and posts back
 * the checker's state for the main thread to merge; progress is posted as bytes read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ChainChecker } from './chain-checker.ts';
import type { CheckerOptions } from './chain-checker.ts';
import { openFile, ReadWindow } from './read-source.ts';
import { checkJsonl } from './verify-jsonl.ts';

export interface SliceTask {
  file: string;
  start: number;
  end: number;
  options: CheckerOptions;
}

export type SliceMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; state: ChainChecker['state'] }
  | { type: 'error'; message: string };

async function run(task: SliceTask): Promise<void> {
  const source = await openFile(task.file, { start: task.start, end: task.end });
  try {
    const win = new ReadWindow(source, 4 * 1024 * 1024, 64 * 1024 * 1024);
    const checker = new ChainChecker(task.options);
    let reported = 0;
    await win.fill();
    await checkJsonl(win, 0, checker, () => {
      parentPort!.postMessage({ type: 'progress', bytes: win.bytesRead - reported } satisfies SliceMessage);
      reported = win.bytesRead;
    });
    parentPort!.postMessage({ type: 'done', state: checker.state } satisfies SliceMessage);
  } finally {
    await source.close();
  }
}

run(workerData as SliceTask).catch((err: unknown) => {
  parentPort!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies SliceMessage);
});
