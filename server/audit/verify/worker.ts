/**
 * A worker thread for verify/parallel.ts: checks the slices of an export file it is sent, one at
 * a time, and posts back each slice's checker state for the main thread to merge in file order.
 */
import { parentPort } from 'node:worker_threads';
import { createChecker } from './chains-checker.ts';
import type { ChainState, CheckerOptions } from './chain-checker.ts';
import { openFile, ReadWindow, WINDOW_SLACK } from './read-source.ts';
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

const CHUNK = 4 * 1024 * 1024;

/**
 * The read buffers of one thread, reused from slice to slice: two fresh 4 MB buffers per slice made
 * V8 count 8 MB more external memory each time and run full collections, about a third of the main
 * thread's time on a 200,000-event file. A thread checks its slices one after another, never two at once.
 */
export interface SliceBuffers {
  window?: Buffer;
  spare?: Buffer;
}

/** Checks the byte range of one slice; used by the workers and by the main thread alike. */
export async function checkSlice(
  task: SliceTask,
  onBytes: (n: number) => void,
  bufs: SliceBuffers = {},
): Promise<ChainState> {
  bufs.spare ??= Buffer.allocUnsafe(CHUNK);
  const source = await openFile(task.file, { start: task.start, end: task.end }, bufs.spare);
  const win = new ReadWindow(source, CHUNK + WINDOW_SLACK, 64 * 1024 * 1024, bufs.window);
  try {
    const checker = createChecker(task.options);
    let reported = 0;
    await win.fill();
    await checkJsonl(win, 0, checker, () => {
      onBytes(win.bytesRead - reported);
      reported = win.bytesRead;
    });
    return checker.state;
  } finally {
    await source.close();
    bufs.window = win.buf; // grown, if a line was longer than the chunk
  }
}

if (parentPort) {
  const port = parentPort;
  const bufs: SliceBuffers = {};
  port.on('message', (task: SliceTask) => {
    checkSlice(task, (bytes) => port.postMessage({ type: 'progress', bytes } satisfies SliceMessage), bufs).then(
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
