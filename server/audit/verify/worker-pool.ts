/**
 * The verify workers of verify/parallel.ts, started ahead of their work. A worker takes 30-40 ms of
 * CPU to start, and on a loaded machine its start can take 30-270 ms of wall time: verifyExport
 * starts them as soon as it knows the file is large, so that they load while the main thread reads
 * the header and checks the checkpoint's signature, and while it checks the first slices itself.
 */
import { Worker } from 'node:worker_threads';
import type { SliceMessage } from './worker.ts';
import { workerScript } from './worker-bundle.ts';
import type { WorkerScript } from './worker-bundle.ts';

/** One started worker. Its messages go to `handler` once the work is handed out (parallel.ts sets it). */
export interface PooledWorker {
  worker: Worker;
  handler: (m: SliceMessage | { type: 'ready' }) => void;
  /** Called once if the worker fails or exits. */
  gone: () => void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private closed = false;
  /** One promise per worker: it settles when the worker has loaded its code, or with undefined if it cannot start. */
  readonly ready: Promise<PooledWorker | undefined>[];

  constructor(count: number) {
    const script = count > 0 ? workerScript() : undefined;
    this.ready = Array.from({ length: count }, () => script!.then((found) => this.start(found)));
  }

  private start({ url, bundled }: WorkerScript): Promise<PooledWorker | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      // The bundle needs no loader: without execArgv a worker does not start tsx's loader again (inherited
      // from `tsx …`/`--import tsx`), which costs several times what the worker itself does to start.
      const worker = new Worker(url, bundled ? { execArgv: [] } : {});
      this.workers.push(worker);
      let gone = false;
      const pooled: PooledWorker = {
        worker,
        handler: (m) => {
          if (m.type === 'ready') resolve(pooled);
        },
        gone: () => resolve(undefined),
      };
      // Listeners are attached at once: a message with no listener yet would be lost.
      worker.on('message', (m: SliceMessage | { type: 'ready' }) => pooled.handler(m));
      const quit = () => {
        if (gone) return;
        gone = true;
        pooled.gone();
      };
      worker.on('error', quit);
      worker.on('exit', quit);
    });
  }

  /** Stops every worker, started or starting; a worker that was still starting is never used. */
  close(): void {
    this.closed = true;
    for (const w of this.workers) void w.terminate();
  }
}
