import type pg from 'pg';
import { GroupCommitFailed, type GroupCommit } from '../group-commit.ts';
import { isDatabaseUnavailable, isRetryable, unavailableOr } from './errors.ts';
import { PG_UNIT, type PgUnits } from './unit.ts';

/**
 * Group commit on PostgreSQL, the same contract as SQLite's (ARCHITECTURE.md, "The audited unit and group
 * commit"). `submit(fn)` queues an async unit whose statements go through `units.current()`. Units queued while
 * a batch is in flight run together as the next batch: ONE transaction on one pooled connection, each unit in
 * its own SAVEPOINT (a unit that throws is rolled back alone and its caller rejected), then COMMIT with
 * synchronous_commit on, so the COMMIT returns once the batch is in the WAL on disk; only then are callers
 * resolved. One batch is in flight at a time: that lets a per-server audit chain keep its head in memory and
 * move it only after the COMMIT (README "Storage"). A batch takes at most `maxBatch` units.
 *
 * If BEGIN, a savepoint or the COMMIT fails, or the connection dies, every unit of the batch is rejected
 * (ServiceUnavailable when the database is not there) and nothing of it is released; the connection is closed
 * and the next batch checks out a fresh one, so the group commit recovers by itself once the database is back.
 * SQLite's group commit instead stops for good after a failed fsync, because the process itself would then
 * have to know which WAL pages reached the disk. Here PostgreSQL owns its WAL: a COMMIT that returned is
 * durable, one that failed is not acknowledged, and the server's own crash recovery settles the rest before it
 * accepts connections again. An outcome the vault cannot know (the connection broke during COMMIT) is answered
 * 503 with nothing released, which fails closed.
 *
 * A unit rolled back by a serialization failure or deadlock (SQLSTATE 40001, 40P01) runs again in the next
 * batch, PG_UNIT.maxAttempts runs in all.
 */
export const PG_GROUP_COMMIT = {
  /** Units per batch transaction, as on SQLite. */
  maxBatch: 32,
};

interface Unit {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  attempts: number;
  ok?: boolean;
  value?: unknown;
}

const ignore = () => {};

/**
 * `chain`: the audit chain this server's units append to. The batch takes that chain's lock (the one an append
 * takes, server/audit/chain/append.ts) right after BEGIN, so every unit of the batch decides and appends with no
 * other unit of this server's chain in between: a grant revoked by this server either committed before the batch
 * began (and the batch's reads see it) or waits for the batch, and its event then comes after the batch's reads.
 */
export function createPgGroupCommit(
  pool: pg.Pool,
  units: PgUnits,
  opts: { maxBatch?: number; chain?: string } = {},
): GroupCommit {
  const maxBatch = opts.maxBatch ?? PG_GROUP_COMMIT.maxBatch;
  const begin = opts.chain ? { values: [opts.chain] } : undefined;
  let queue: Unit[] = [];
  let scheduled = false;
  let inFlight = false;
  let closed = false;

  function schedule(): void {
    if (scheduled || inFlight || queue.length === 0) return;
    scheduled = true;
    // Once per turn of the event loop, as on SQLite: units submitted in one turn share a batch.
    setImmediate(() => {
      scheduled = false;
      void runBatch();
    });
  }

  async function runBatch(): Promise<void> {
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    const batch = queue.splice(0, maxBatch);
    try {
      if (closed) for (const u of batch) u.reject(new GroupCommitFailed('the group commit is closed'));
      else await commit(batch);
    } finally {
      inFlight = false;
      schedule();
    }
  }

  /** The batch's outcome for one unit: run again (40001, 40P01), or reject with what the caller may see. */
  function settleFailed(u: Unit, e: unknown, retry: Unit[]): void {
    if (isRetryable(e) && ++u.attempts < PG_UNIT.maxAttempts) retry.push(u);
    else u.reject(unavailableOr(e));
  }

  async function commit(batch: Unit[]): Promise<void> {
    const retry: Unit[] = [];
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      for (const u of batch) settleFailed(u, e, retry);
      queue = [...retry, ...queue];
      return;
    }
    // A checked-out connection whose server goes away also emits 'error'; the query in flight rejects anyway.
    client.on('error', ignore);
    let broken: Error | undefined;
    try {
      // SET LOCAL: whatever a role or database default says, this batch's COMMIT waits for its WAL flush.
      if (begin) {
        // Three statements with a parameter: the extended protocol takes one statement only.
        await client.query('BEGIN; SET LOCAL synchronous_commit TO on');
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', begin.values);
      } else await client.query('BEGIN; SET LOCAL synchronous_commit TO on');
      for (const u of batch) await runUnit(client, u);
      await client.query('COMMIT');
    } catch (e) {
      if (isDatabaseUnavailable(e)) broken = e as Error;
      else await client.query('ROLLBACK').catch((x: Error) => (broken = x));
      for (const u of batch) settleFailed(u, e, retry);
      queue = [...retry, ...queue];
      return;
    } finally {
      client.removeListener('error', ignore);
      // release(error) closes the connection instead of pooling it: the next batch gets a fresh one.
      client.release(broken);
    }
    for (const u of batch) {
      if (u.ok) u.resolve(u.value);
      else settleFailed(u, u.value, retry);
    }
    queue = [...retry, ...queue];
  }

  async function runUnit(client: pg.PoolClient, u: Unit): Promise<void> {
    await client.query('SAVEPOINT batch_unit');
    try {
      u.value = await units.runOn(client, u.fn);
      // Inside the try: a unit that swallowed a failed statement left the transaction aborted, and this
      // RELEASE then fails, so it is rolled back like a unit that threw.
      await client.query('RELEASE SAVEPOINT batch_unit');
      u.ok = true;
    } catch (e) {
      // The connection is gone: the whole batch fails (the caller of runUnit rejects every unit).
      if (isDatabaseUnavailable(e)) throw e;
      u.ok = false;
      u.value = e;
      await client.query('ROLLBACK TO SAVEPOINT batch_unit');
    }
  }

  return {
    submit<T>(fn: () => T | Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new GroupCommitFailed('the group commit is closed'));
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject, attempts: 0 });
        schedule();
      });
    },
    // synchronous_commit is on: every COMMIT that returned is already durable.
    durable: () => Promise.resolve(),
    // Nothing here is final: a batch that failed leaves the next one to a fresh connection.
    healthy: () => true,
    close() {
      closed = true;
    },
  };
}
