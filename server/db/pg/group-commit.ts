import type pg from 'pg';
import { isChainId } from '../../audit/chain/chains.ts';
import { GENESIS_HASH } from '../../audit/chain/chain.ts';
import { GroupCommitFailed, type GroupCommit } from '../group-commit.ts';
import { isDatabaseUnavailable, isRetryable, unavailableOr } from './errors.ts';
import { insertAuditRows } from './audit-rows.ts';
import { createBatchReadAhead } from './batch-read-ahead.ts';
import { visibleIn } from './snapshot.ts';
import type { ReadAheadWanted } from '../read-ahead.ts';
import { laneCursor, PG_UNIT, type AuditLane, type AuditLaneCursor, type PgUnits } from './unit.ts';
import { addCounts, countOf, flushCounts } from '../tally.ts';

/**
 * Group commit on PostgreSQL, the same contract as SQLite's (ARCHITECTURE.md, "The audited unit and group
 * commit"). `submit(fn)` queues an async unit whose statements go through `units.current()`. Queued units run in
 * batches: ONE transaction on one pooled connection, each unit in its own SAVEPOINT (a unit that throws is rolled
 * back alone and its caller rejected), then COMMIT with synchronous_commit on, so the COMMIT returns once the batch
 * is in the WAL on disk; only then are callers resolved. A batch takes at most `maxBatch` units.
 *
 * Up to `lanes` batches run at once, each on its own connection: a unit's statements are round trips one after
 * another, so one batch at a time left the server waiting on the network most of the time. Each lane appends to an
 * audit chain of its own (`<chain>.<k>`, README "Storage") and its batch takes that chain's lock right after BEGIN,
 * and reads the chain's head in the same round trip; the head then lives in memory while the lock is held (an
 * append takes no lock and reads no head: a nextval, then its INSERT, or neither for a unit that has sent nothing
 * but its read-ahead: see runUnit) and moves only when a unit's savepoint is released.
 * Work outside the group commit (grant changes, sign-ins) appends to the server's own chain under its lock.
 *
 * If BEGIN, a savepoint or the COMMIT fails, or the connection dies, every unit of the batch is rejected
 * (ServiceUnavailable when the database is not there) and nothing of it is released; the connection is closed
 * and the next batch checks out a fresh one, so the group commit recovers by itself once the database is back.
 * SQLite's group commit instead stops for good after a failed fsync, because the process itself would then
 * have to know which WAL pages reached the disk. Here PostgreSQL owns its WAL: a COMMIT that returned is
 * durable, one that failed is not acknowledged, and the server's own crash recovery settles the rest before it
 * accepts connections again. An outcome the vault cannot know (the connection broke during COMMIT) is answered
 * 503 with nothing released, which fails closed. A failed batch's in-memory head goes with it: the lane's next
 * batch reads the head from the database again.
 *
 * A unit rolled back by a serialization failure or deadlock (SQLSTATE 40001, 40P01; two lanes updating the same
 * rows in opposite order) runs again in a later batch, PG_UNIT.maxAttempts runs in all.
 */
export const PG_GROUP_COMMIT = {
  /** Units per batch transaction, as on SQLite. */
  maxBatch: 32,
  /**
   * Batches in flight at once per server, each holding one pooled connection (SECURITY.md "Floods and bounds"):
   * PG_POOL.max leaves the rest to units outside the group commit. Two: since a batch reads ahead for all its units in
   * one statement (./batch-read-ahead.ts), a larger batch costs hardly more round trips than a small one, and two lanes
   * beat four by about a fifth on two cores (README "A batch's reads in one round trip").
   */
  lanes: 2,
};

/** A batch in the group commit's view: when it started, its transaction and lane once begun, when it committed. */
interface Slot {
  start: number;
  /** Its transaction id, taken in BEGIN's round trip (after the lane's lock): whether a snapshot holds its COMMIT. */
  xid?: bigint;
  lane?: AuditLane;
  cursor?: AuditLaneCursor;
  committedAt?: number;
}

interface Unit {
  fn: () => unknown;
  /** What the unit reads first, for its batch to fetch with the others' (./batch-read-ahead.ts). */
  ahead?: () => ReadAheadWanted;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  attempts: number;
  ok?: boolean;
  value?: unknown;
}

const ignore = () => {};

/** The savepoint each unit of a batch runs in. */
const SAVEPOINT = 'batch_unit';

/**
 * `chain`: the server's audit chain; lane k's batches append to `<chain>.<k>`. A batch takes its lane chain's lock
 * (the one an append takes, server/audit/chain/append.ts) right after BEGIN, so every unit of the batch decides and
 * appends with no other unit of that chain in between. A revocation (outside the group commit, on the server's own
 * chain) does not wait for any batch: it races the reads of this server's lanes exactly as a revocation on another
 * server does. A read whose grant statement runs after the revocation committed sees it (READ COMMITTED takes a
 * snapshot per statement), so a read sent after the revocation was acknowledged is refused; one already past that
 * statement may still be answered after the acknowledgement. test/storage/two-servers-kill.test.ts checks the
 * first, client-side, and the order on each chain.
 */
export function createPgGroupCommit(
  pool: pg.Pool,
  units: PgUnits,
  opts: { maxBatch?: number; chain?: string; lanes?: number } = {},
): GroupCommit {
  const maxBatch = opts.maxBatch ?? PG_GROUP_COMMIT.maxBatch;
  const lanes = opts.lanes ?? PG_GROUP_COMMIT.lanes;
  const chains = Array.from({ length: lanes }, (_, k) => (opts.chain ? `${opts.chain}.${k}` : undefined));
  // The chain id goes into the BEGIN round trip's text (several statements take no parameters): its closed shape
  // (lowercase letters, digits, . _ -) is what keeps it a literal.
  for (const c of chains) if (c !== undefined && !isChainId(c)) throw new Error(`audit chain id too long: ${c}`);
  const busy: boolean[] = chains.map(() => false);
  // The batches on the lanes, with the unit each is running: a budget check in one lane counts the uses the others
  // have made that the snapshot it read the counters in does not hold (usage.ts), so lanes do not let a grant's
  // budget overrun, and count no use twice. A batch stays here after its COMMIT while a batch that started before
  // that COMMIT still runs: that batch may have read its counters before the COMMIT (its read-ahead, at its start).
  // Asked without a snapshot, every other batch here counts (twice, perhaps; never missed).
  let tick = 0;
  const active = new Set<Slot>();
  const pendingElsewhere = (mine: Slot, key: string, snapshot: string | undefined) => {
    let n = 0;
    for (const a of active) {
      if (a === mine || !a.lane) continue;
      if (snapshot !== undefined && a.xid !== undefined && visibleIn(a.xid, snapshot)) continue;
      n += countOf(a.lane.tally, key) + (a.cursor ? countOf(a.cursor.adds, key) : 0);
    }
    return n;
  };
  /** Ends a batch's slot: kept while it committed after an older batch still running began, else dropped. */
  const settleSlot = (slot: Slot, committed: boolean) => {
    if (committed) slot.committedAt = ++tick;
    else active.delete(slot);
    const oldest = Math.min(...[...active].filter((a) => a.committedAt === undefined).map((a) => a.start));
    for (const a of active) if (a.committedAt !== undefined && a.committedAt < oldest) active.delete(a);
  };
  const batchAhead = createBatchReadAhead(pool);
  let queue: Unit[] = [];
  let scheduled = false;
  let closed = false;

  function schedule(): void {
    if (scheduled || queue.length === 0 || !busy.includes(false)) return;
    scheduled = true;
    // Once per turn of the event loop, as on SQLite: units submitted in one turn share a batch.
    setImmediate(() => {
      scheduled = false;
      // The queue shared out evenly over the free lanes: a unit's round trips, not the COMMIT, are the cost.
      const free = busy.flatMap((b, k) => (b ? [] : [k]));
      const per = Math.min(maxBatch, Math.ceil(queue.length / free.length));
      for (const k of free) if (queue.length > 0) void runBatch(k, queue.splice(0, per));
    });
  }

  async function runBatch(k: number, batch: Unit[]): Promise<void> {
    busy[k] = true;
    try {
      if (closed) for (const u of batch) u.reject(new GroupCommitFailed('the group commit is closed'));
      else await commit(batch, chains[k]);
    } finally {
      busy[k] = false;
      schedule();
    }
  }

  /** The batch's outcome for one unit: run again (40001, 40P01), or reject with what the caller may see. */
  function settleFailed(u: Unit, e: unknown, retry: Unit[]): void {
    if (isRetryable(e) && ++u.attempts < PG_UNIT.maxAttempts) retry.push(u);
    else u.reject(unavailableOr(e));
  }

  /**
   * BEGIN and, with a lane chain, its lock, its head and its transaction id, then the first unit's savepoint: one
   * round trip. Each statement of a simple query takes its own snapshot, so the head is read after the lock is granted.
   * synchronous_commit by SET LOCAL: whatever a role or database default says, this batch's COMMIT waits for its WAL
   * flush.
   *
   * Seqs are taken one per append, when the event is made, not for the whole batch at BEGIN: an event decided after
   * waiting for another lane's batch (a refusal count, say, whose row that batch had locked) must get a higher seq
   * than that batch's events, or "newest first" (seq order) would show the cause after its effect.
   */
  async function begin(client: pg.PoolClient, chain: string | undefined, slot: Slot) {
    if (!chain) {
      await client.query(`BEGIN; SET LOCAL synchronous_commit TO on; SAVEPOINT ${SAVEPOINT}`);
      return undefined;
    }
    const results = (await client.query(
      `BEGIN; SET LOCAL synchronous_commit TO on; SELECT pg_advisory_xact_lock(hashtextextended('${chain}', 0));
       SELECT hash AS head FROM audit_events WHERE chain = '${chain}' ORDER BY seq DESC LIMIT 1;
       SELECT pg_current_xact_id()::text AS xid; SAVEPOINT ${SAVEPOINT}`,
    )) as unknown as pg.QueryResult<{ head: string; xid: string }>[];
    const row = results[results.length - 3]!.rows[0];
    slot.xid = BigInt(results[results.length - 2]!.rows[0]!.xid);
    const lane: AuditLane = {
      chain,
      tally: new Map(),
      rows: [],
      async nextSeq() {
        // A seq taken after the batch's read-ahead: the units after this one take theirs after it.
        if (slot.cursor) slot.cursor.ownReads = true;
        const next = await client.query<{ seq: string }>({
          name: 'v_group_commit_next_seq',
          text: "SELECT nextval('audit_events_seq') AS seq",
        });
        return Number(next.rows[0]!.seq);
      },
      elsewhere: (key, snapshot) => pendingElsewhere(slot, key, snapshot),
    };
    return { lane, head: row?.head ?? GENESIS_HASH };
  }

  async function commit(batch: Unit[], chain: string | undefined): Promise<void> {
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
    // Before BEGIN: every statement of the batch reads after its start.
    const slot: Slot = { start: ++tick };
    active.add(slot);
    let committed = false;
    try {
      const lane = await begin(client, chain, slot);
      slot.lane = lane?.lane;
      // Only a batch with a lane knows which of its units sent nothing (AuditLaneCursor.touched, ownReads). The rows
      // read ahead for a unit are handed to it only while no unit before it has sent anything since they were read:
      // as if it had read them itself at the batch's start, seq included (a later seq would break the chain's order).
      const ahead = lane ? await readAheadFor(client, batch) : [];
      let fresh = true;
      for (let i = 0; i < batch.length; i++) {
        const quiet = await runUnit(client, batch[i]!, i + 1 < batch.length, lane, slot, fresh ? ahead[i] : undefined);
        fresh &&= quiet;
      }
      // The audit rows of units that sent nothing but their read-ahead, in one statement: before the COMMIT, so every
      // unit's event commits with it; a failure here fails the batch like a failed COMMIT.
      if (lane && lane.lane.rows.length > 0) await insertAuditRows(client, lane.lane.rows.splice(0));
      // The batch's counters, each written once; a failure here fails the batch like a failed COMMIT.
      if (lane && lane.lane.tally.size > 0) await units.runOn(client, () => flushCounts(lane.lane.tally));
      await client.query('COMMIT');
      committed = true;
    } catch (e) {
      if (isDatabaseUnavailable(e)) broken = e as Error;
      else await client.query('ROLLBACK').catch((x: Error) => (broken = x));
      for (const u of batch) settleFailed(u, e, retry);
      queue = [...retry, ...queue];
      return;
    } finally {
      // After the COMMIT returned (or failed): from here the database's counts hold what this batch added.
      settleSlot(slot, committed);
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

  /**
   * The batch's read-ahead for its units, right after BEGIN and its savepoint. If that statement fails (and the
   * database is still there), the batch rolls back to the savepoint and its units read for themselves: one statement
   * of the vault's own making must not fail every unit of a batch.
   */
  async function readAheadFor(client: pg.PoolClient, batch: Unit[]) {
    try {
      return await batchAhead.fetch(client, batch.map(wantedOf));
    } catch (e) {
      if (isDatabaseUnavailable(e)) throw e;
      await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      batchAhead.forget();
      return [];
    }
  }

  /** What a unit declared it reads first; a declaration that throws only leaves the unit to read for itself. */
  function wantedOf(u: Unit): ReadAheadWanted | undefined {
    try {
      return u.ahead?.();
    } catch {
      return undefined;
    }
  }

  /**
   * Runs one unit inside the savepoint already set for it: by BEGIN's round trip for the batch's first unit, and
   * for each later one by its predecessor, whose RELEASE and the next SAVEPOINT go in one round trip (a simple query
   * of two statements: if the RELEASE fails, the SAVEPOINT is not run). A unit rolled back to the savepoint leaves
   * it standing, and the next unit runs in it: so there is never more than one `batch_unit`, and a ROLLBACK TO can
   * only undo the unit it belongs to. A unit that sent nothing but its read-ahead (its cursor not `touched`, unit.ts)
   * changed no row, so it needs no RELEASE: the savepoint stays for the next unit, and its audit rows wait in the
   * lane until a later unit first sends a statement or the batch ends, each written before anything could read
   * them; a company field read is then ONE round trip of its own. `next`: another unit of the batch follows this
   * one. `lane`: the batch's chain and its head, which moves only when the unit is released.
   */
  async function runUnit(
    client: pg.PoolClient,
    u: Unit,
    next: boolean,
    lane: { lane: AuditLane; head: string } | undefined,
    slot: Slot,
    ahead: Map<string, unknown[]> | undefined,
  ): Promise<boolean> {
    const cursor: AuditLaneCursor | undefined = lane && laneCursor(lane.lane, lane.head);
    slot.cursor = cursor;
    // Whether the unit sent nothing but its read-ahead, and was not rolled back.
    let quiet = false;
    try {
      u.value = await units.runOn(client, u.fn, cursor, ahead);
      if (cursor && !cursor.touched) {
        quiet = !cursor.ownReads;
        // The unit sent nothing but its read-ahead, so it changed no row: its savepoint has nothing to release and
        // stays for the next unit, and its audit rows go to the batch, which writes them (above, or when a later
        // unit first sends a statement, unit.ts touch).
        lane!.lane.rows.push(...cursor.rows);
      } else {
        // Inside the try: a unit that swallowed a failed statement left the transaction aborted, and this
        // RELEASE then fails, so it is rolled back like a unit that threw.
        await client.query(
          next ? `RELEASE SAVEPOINT ${SAVEPOINT}; SAVEPOINT ${SAVEPOINT}` : `RELEASE SAVEPOINT ${SAVEPOINT}`,
        );
      }
      u.ok = true;
      if (lane) {
        lane.head = cursor!.head;
        addCounts(lane.lane.tally, cursor!.adds);
      }
    } catch (e) {
      // The connection is gone: the whole batch fails (the caller of runUnit rejects every unit).
      if (isDatabaseUnavailable(e)) throw e;
      u.ok = false;
      u.value = e;
      // Fails, and with it the batch, if the RELEASE went through and the SAVEPOINT after it did not: nothing of
      // the batch is then acknowledged.
      await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      // The released units' rows this unit wrote when first touched were undone with it: the batch's again.
      if (cursor) lane!.lane.rows.unshift(...cursor.flushed);
      quiet = false;
    } finally {
      // Its counts are in the lane's tally now (released) or gone (rolled back).
      slot.cursor = undefined;
    }
    return quiet;
  }

  return {
    // PostgreSQL checkpoints its own log.
    checkpoint: async () => undefined,
    submit<T>(fn: () => T | Promise<T>, ahead?: () => ReadAheadWanted): Promise<T> {
      if (closed) return Promise.reject(new GroupCommitFailed('the group commit is closed'));
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, ahead, resolve: resolve as (v: unknown) => void, reject, attempts: 0 });
        schedule();
      });
    },
    // synchronous_commit is on: every COMMIT that returned is already durable.
    durable: () => Promise.resolve(),
    // Nothing here is final: a batch that failed leaves the next one to a fresh connection.
    healthy: () => true,
    async close() {
      closed = true;
    },
  };
}
