/**
 * A worker thread for verify/parallel.ts: checks the slices of an export file it is sent, one at
 * a time, and posts back each slice's checker state for the main thread to merge in file order.
 */
import { parentPort } from 'node:worker_threads';
import { ChainChecker } from './chain-checker.ts';
import type { ChainState, CheckerOptions } from './chain-checker.ts';
import { openFile, ReadWindow } from './read-source.ts';
import { checkJsonl } from './jsonl.ts';

export interface SliceTask {
  index: number;
  file: string;
  start: number;
  end: number;
  options: CheckerOptions;
}

export type SliceMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; index: number; state: ChainState }
  | { type: 'error'; index: number; message: string };

/** Checks the byte range of one slice; used by the workers and by the main thread alike. */
export async function checkSlice(task: SliceTask, onBytes: (n: number) => void): Promise<ChainState> {
  const source = await openFile(task.file, { start: task.start, end: task.end });
  try {
    const win = new ReadWindow(source, 4 * 1024 * 1024, 64 * 1024 * 1024);
    const checker = new ChainChecker(task.options);
    let reported = 0;
    await win.fill();
    await checkJsonl(win, 0, checker, () => {
      onBytes(win.bytesRead - reported);
      reported = win.bytesRead;
    });
    return checker.state;
  } finally {
    await source.close();
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (task: SliceTask) => {
    checkSlice(task, (bytes) => port.postMessage({ type: 'progress', bytes } satisfies SliceMessage)).then(
      (state) => port.postMessage({ type: 'done', index: task.index, state } satisfies SliceMessage),
      (err: unknown) =>
        port.postMessage({
          type: 'error',
          index: task.index,
          message: err instanceof Error ? err.message : String(err),
        } satisfies SliceMessage),
    );
  });
  port.postMessage({ type: 'ready' });
}
