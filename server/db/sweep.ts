import type { Logger } from 'pino';
import type { Clock } from '../context.ts';

/** One periodic job: expiring grants, signing a checkpoint, or purging one module's expired rows. */
export interface SweepTask {
  name: string;
  /** Returns how many rows it changed (per table, or in all), for the debug log. */
  run(now: Date): Record<string, number> | number | void;
}

/** Every 10 s (SECURITY.md "Floods and bounds"). */
export const SWEEP_INTERVAL_MS = 10_000;

/**
 * The one sweeper: runs each module's task in turn on a timer, with the injected clock, so that tests
 * move the clock and call `runOnce` instead of waiting. A task that throws is logged and does not stop
 * the others. Every task is an idempotent statement keyed on time, so several servers sweeping the same
 * database do no harm.
 */
export function createSweeper(deps: { clock: Clock; logger: Logger }, tasks: SweepTask[]) {
  let timer: NodeJS.Timeout | undefined;
  function runOnce(): Record<string, number> {
    const now = deps.clock.now();
    const done: Record<string, number> = {};
    for (const task of tasks) {
      try {
        const out = task.run(now);
        if (typeof out === 'number') done[task.name] = out;
        else if (out) for (const [k, n] of Object.entries(out)) done[`${task.name}.${k}`] = n;
      } catch (err) {
        deps.logger.error({ err, task: task.name }, 'sweep task failed');
      }
    }
    if (Object.values(done).some((n) => n > 0)) deps.logger.debug({ swept: done }, 'sweep');
    return done;
  }
  return {
    runOnce,
    start(intervalMs = SWEEP_INTERVAL_MS) {
      timer ??= setInterval(runOnce, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
