import type { Logger } from 'pino';
import type { Clock } from '../context.ts';
import type { Leases } from './shared/types.ts';

/** One periodic job: expiring grants, signing a checkpoint, or purging one module's expired rows. */
export interface SweepTask {
  name: string;
  /** Returns how many rows it changed (per table, or in all), for the debug log. */
  run(now: Date): Record<string, number> | number | void | Promise<Record<string, number> | number | void>;
}

/** Every 10 s (SECURITY.md "Floods and bounds"). */
export const SWEEP_INTERVAL_MS = 10_000;

/**
 * The sweep runs on one server at a time: the one holding this lease, renewed at every sweep. A server that
 * stops cleanly gives it up; one that dies loses it after the TTL, three sweep intervals (SECURITY.md "Floods
 * and bounds"), and another server takes over at its next sweep.
 */
export const SWEEP_LEASE = 'sweep';
export const SWEEP_LEASE_TTL_MS = 3 * SWEEP_INTERVAL_MS;

/**
 * The one sweeper: runs each module's task in turn on a timer, with the injected clock, so that tests
 * move the clock and call `runOnce` instead of waiting. A task that throws is logged and does not stop
 * the others. Every task is an idempotent statement keyed on time, and with a lease only its holder runs them:
 * checkpoints are signed by one server, not by each (ARCHITECTURE.md, "State shared between servers").
 */
export function createSweeper(
  deps: { clock: Clock; logger: Logger; lease?: { leases: Leases; holder: string } },
  tasks: SweepTask[],
) {
  let timer: NodeJS.Timeout | undefined;
  // A database that cannot answer skips this sweep (logged) rather than throwing out of the timer.
  async function holdsLease(lease: { leases: Leases; holder: string }, now: Date): Promise<boolean> {
    try {
      return await lease.leases.tryAcquire(SWEEP_LEASE, lease.holder, SWEEP_LEASE_TTL_MS, now);
    } catch (err) {
      deps.logger.error({ err }, 'sweep lease failed');
      return false;
    }
  }
  async function runOnce(): Promise<Record<string, number>> {
    const now = deps.clock.now();
    const lease = deps.lease;
    if (lease && !(await holdsLease(lease, now))) return {};
    const done: Record<string, number> = {};
    for (const task of tasks) {
      try {
        const out = await task.run(now);
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
      // runOnce logs every failure itself (a task's, the lease's), so its promise never rejects.
      timer ??= setInterval(() => void runOnce(), intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      try {
        await deps.lease?.leases.release(SWEEP_LEASE, deps.lease.holder);
      } catch (err) {
        deps.logger.warn({ err }, 'sweep lease not released; it expires on its own');
      }
    },
  };
}
