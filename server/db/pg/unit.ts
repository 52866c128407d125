import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { isDatabaseUnavailable, isRetryable, unavailableOr } from './errors.ts';
import { pgDrizzle, type PgDb } from './pool.ts';
import { copyCounts, countOf, countOne, type BatchTally, type Counts } from '../tally.ts';
import { insertAuditRows, type AuditRow } from './audit-rows.ts';

/**
 * The unit of work on PostgreSQL (ARCHITECTURE.md, "How to add a storage back end"). A store never opens a
 * transaction: it runs its statements on `current()`, which is the open unit's connection inside
 * `inTransaction` (or a group commit's batch) and the pool outside one. The unit travels in an
 * AsyncLocalStorage, so store signatures stay as they are.
 */
export const PG_UNIT = {
  /**
   * Runs of one unit in all when PostgreSQL aborts it with a serialization failure or a deadlock (SQLSTATE
   * 40001, 40P01): the unit did nothing and runs again from the start, at most this many times in all.
   */
  maxAttempts: 3,
};

export interface PgUnits {
  /**
   * Runs fn in one transaction on one pooled connection (BEGIN … COMMIT; ROLLBACK when it throws) and resolves
   * after the COMMIT. Called inside a unit, it runs as a SAVEPOINT of that unit on the same connection: a throw
   * undoes only what it did. fn may run more than once (PG_UNIT), so it must do nothing outside the database
   * before it returns. "The database is not there" rejects with ServiceUnavailable (./errors.ts).
   */
  inTransaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Where a store's statements go right now: the unit's connection inside one, the pool outside. */
  current(): PgDb;
  /**
   * Runs fn as the unit on a connection the caller holds in an open transaction (the group commit); `lane`, when
   * given, is the audit chain that batch appends to (`auditLane()` inside fn); `ahead`, rows the batch read ahead for
   * this unit (./batch-read-ahead.ts), its read-ahead to begin with.
   */
  runOn<T>(
    client: pg.PoolClient,
    fn: () => T | Promise<T>,
    lane?: AuditLaneCursor,
    ahead?: Map<string, unknown[]>,
  ): Promise<T>;
  /** The audit lane of the group commit's batch this unit runs in; undefined in any other unit, or outside one. */
  auditLane(): AuditLaneCursor | undefined;
  /** The counts of the group commit's batch this unit runs in; undefined in any other unit, or outside one. */
  batchTally(): BatchTally | undefined;
  /**
   * Rows a store read in this unit and may use again in it instead of another round trip (the store forgets them
   * when it writes them); undefined outside a unit.
   */
  unitMemo(): Map<string, unknown> | undefined;
  /**
   * The unit's rows fetched ahead (Backend.readAhead); current() empties it, as every statement not served from it
   * goes through current().
   */
  readAhead(): Map<string, unknown[]> | undefined;
  /**
   * The unit's connection, for its read-ahead, without touching the unit (see touch), noted as the unit's own read
   * (AuditLaneCursor.ownReads); undefined outside a unit.
   */
  readAheadClient(): pg.PoolClient | undefined;
  /**
   * Keeps an audit row of a group commit's unit that has sent no statement but its read-ahead (its cursor is not
   * `touched`) for the batch to write, and answers true; false when the caller must insert it itself.
   */
  deferAudit(row: AuditRow): boolean;
}

/**
 * One batch's audit chain while the batch holds that chain's advisory lock (group-commit.ts): no other transaction
 * appends to it until the batch ends, so its head lives here, not in the database, and an append is one INSERT.
 */
export interface AuditLane {
  readonly chain: string;
  /** The released units' counts (BatchTally), written before the COMMIT. */
  readonly tally: Counts;
  /** The next seq from audit_events_seq (a unit rolled back leaves a gap). */
  nextSeq(): Promise<number>;
  /**
   * Audit rows of released units that sent no statement but their read-ahead, not yet in the table: written in one
   * statement by the next unit that touches the batch's connection, or before the COMMIT (group-commit.ts).
   */
  readonly rows: AuditRow[];
  /**
   * What this server's other lanes have added to `key` and `snapshot` does not hold: their released units' counts
   * and the unit each is running, while their batch's COMMIT is not in the snapshot (without one: until no batch
   * that began before that COMMIT runs; counted twice perhaps, never missed).
   */
  elsewhere(key: string, snapshot?: string): number;
}

/**
 * One unit's view of its batch's lane: `head` is the chain's head as this unit's appends left it. The group commit
 * makes it the batch's head when the unit's savepoint is released; a unit (or a savepoint inside it) that is rolled
 * back leaves the head where it was.
 */
export interface AuditLaneCursor {
  readonly lane: AuditLane;
  head: string;
  /** This unit's counts; the batch adds them to the lane's when the unit's savepoint is released. */
  adds: Counts;
  /**
   * Whether the unit has sent a statement other than its read-ahead (touch). Until it has, it has changed no row,
   * and the audit rows it appends wait in `rows`: the batch needs neither an INSERT nor a savepoint round trip for it.
   */
  touched: boolean;
  /**
   * Whether the unit sent a read of its own (a read-ahead, a nextval) though it changed no row: it may have read, and
   * taken a seq, after its batch's read-ahead, so the units after it in the batch read for themselves too.
   */
  ownReads: boolean;
  rows: AuditRow[];
  /** The lane's rows this unit wrote when first touched: the lane's again if the unit is rolled back. */
  flushed: AuditRow[];
}

/** A cursor for a unit that has not started: at the lane's head, nothing counted, nothing sent. */
export function laneCursor(lane: AuditLane, head: string): AuditLaneCursor {
  return { lane, head, adds: new Map(), touched: false, ownReads: false, rows: [], flushed: [] };
}

interface Scope {
  client: pg.PoolClient;
  db: PgDb;
  depth: number;
  /** False once the unit (or savepoint) has ended: work it left behind must not reach a pooled connection. */
  open: boolean;
  /** A savepoint of this scope is open: a second one beside it would interleave on one connection. */
  nested: boolean;
  lane?: AuditLaneCursor;
  /** Shared with the unit's savepoints: a store that writes a row forgets it there, whichever depth wrote it. */
  memo: Map<string, unknown>;
  /**
   * Rows fetched ahead in one round trip (server/db/read-ahead.ts), shared with the unit's savepoints: each served
   * once, and all of them forgotten as soon as the unit sends any other statement (current() is how every statement
   * reaches the connection), so a row served from here is what its statement would have read, had it been sent
   * right after the read-ahead with nothing of the unit in between.
   */
  readAhead: Map<string, unknown[]>;
}

const ignore = () => {};

export function createPgUnits(pool: pg.Pool, poolDb: PgDb = pgDrizzle(pool)): PgUnits {
  const als = new AsyncLocalStorage<Scope>();
  // A connection keeps its drizzle handle for its life in the pool: made once, not once per unit.
  const handles = new WeakMap<pg.PoolClient, PgDb>();
  const scopeFor = (client: pg.PoolClient, depth: number): Scope => {
    let db = handles.get(client);
    if (!db) handles.set(client, (db = pgDrizzle(client)));
    return { client, db, depth, open: true, nested: false, memo: new Map(), readAhead: new Map() };
  };

  /** The unit of the moment, if it is still open (a unit's leftover callbacks get nothing of it). */
  const openScope = (): Scope | undefined => {
    const scope = als.getStore();
    return scope?.open ? scope : undefined;
  };

  /**
   * The unit is about to send a statement: the rows fetched ahead end, and a group commit's unit touched for the
   * first time first writes the audit rows its batch holds (released units' and its own) in one statement sent
   * before it on the same connection (node-postgres sends a connection's queries in order), so the statement sees
   * them as if each had been inserted when appended. Answers that write's promise, if there was one.
   */
  function touch(scope: Scope): Promise<unknown> | undefined {
    if (scope.readAhead.size > 0) scope.readAhead.clear();
    const cursor = scope.lane;
    if (!cursor || cursor.touched) return undefined;
    cursor.touched = true;
    if (cursor.lane.rows.length === 0 && cursor.rows.length === 0) return undefined;
    cursor.flushed = cursor.lane.rows.splice(0);
    const rows = [...cursor.flushed, ...cursor.rows];
    cursor.rows = [];
    return insertAuditRows(scope.client, rows);
  }

  async function savepoint<T>(outer: Scope, fn: () => Promise<T>): Promise<T> {
    if (outer.nested) throw new Error('the nested units of one unit run one after another, not at once');
    outer.nested = true;
    // A statement of the unit like any other.
    await touch(outer);
    const name = `unit_${outer.depth}`;
    // The lane's head as the savepoint began: a savepoint rolled back takes its appends with it.
    const head = outer.lane?.head;
    const adds = outer.lane && copyCounts(outer.lane.adds);
    try {
      await outer.client.query(`SAVEPOINT ${name}`);
      const inner: Scope = { ...outer, depth: outer.depth + 1, nested: false };
      try {
        const value = await als.run(inner, fn).finally(() => (inner.open = false));
        await outer.client.query(`RELEASE SAVEPOINT ${name}`);
        return value;
      } catch (e) {
        // Rows kept in the unit's memo may have been written by the work undone here.
        outer.memo.clear();
        outer.readAhead.clear();
        if (!isDatabaseUnavailable(e)) await outer.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        if (outer.lane) Object.assign(outer.lane, { head, adds });
        throw e;
      }
    } finally {
      outer.nested = false;
    }
  }

  async function once<T>(fn: () => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // A checked-out connection whose server goes away also emits 'error'; the query in flight rejects anyway.
    client.on('error', ignore);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const scope = scopeFor(client, 1);
      const value = await als.run(scope, fn).finally(() => (scope.open = false));
      await client.query('COMMIT');
      return value;
    } catch (e) {
      if (isDatabaseUnavailable(e)) broken = e as Error;
      else await client.query('ROLLBACK').catch((x: Error) => (broken = x));
      throw e;
    } finally {
      client.removeListener('error', ignore);
      // release(error) closes the connection instead of pooling it: the next unit gets a fresh one.
      client.release(broken);
    }
  }

  return {
    async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
      const scope = als.getStore();
      if (scope) return savepoint(scope, fn);
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(fn);
        } catch (e) {
          if (attempt < PG_UNIT.maxAttempts && isRetryable(e)) continue;
          throw unavailableOr(e);
        }
      }
    },
    current() {
      const scope = als.getStore();
      if (!scope) return poolDb;
      // A callback a unit left running (a timer, a promise it did not await) still carries the unit's context,
      // but its connection has gone back to the pool or on to the next unit of a batch.
      if (!scope.open) throw new Error('a store was called from a unit that has already ended');
      // A failed write of the batch's audit rows aborts the transaction: the statement after it fails with it.
      touch(scope)?.catch(ignore);
      return scope.db;
    },
    auditLane: () => openScope()?.lane,
    unitMemo: () => openScope()?.memo,
    readAhead: () => openScope()?.readAhead,
    readAheadClient() {
      const scope = openScope();
      if (scope?.lane) scope.lane.ownReads = true;
      return scope?.client;
    },
    deferAudit(row) {
      const cursor = openScope()?.lane;
      if (!cursor || cursor.touched) return false;
      cursor.rows.push(row);
      return true;
    },
    batchTally() {
      const cursor = openScope()?.lane;
      if (!cursor) return undefined;
      return {
        pending: (key, snapshot) =>
          countOf(cursor.lane.tally, key) + countOf(cursor.adds, key) + cursor.lane.elsewhere(key, snapshot),
        add: (key, flush, together) => countOne(cursor.adds, key, flush, together),
      };
    },
    async runOn(client, fn, lane, ahead) {
      const scope = scopeFor(client, 1);
      scope.lane = lane;
      if (ahead) scope.readAhead = ahead;
      try {
        return await als.run(scope, async () => fn());
      } finally {
        scope.open = false;
      }
    },
  };
}
