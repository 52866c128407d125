import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import {
  addCounts,
  copyCounts,
  countOf,
  countOne,
  type BatchTally,
  type Counts,
  type TallyEntry,
  type Together,
} from './tally.ts';

/**
 * The statements and the guard that an async unit of work on the one SQLite connection needs
 * (ARCHITECTURE.md, "The audited unit and group commit"). better-sqlite3 completes every statement
 * synchronously, so a unit whose awaits are only store calls finishes within microtasks, before the event loop
 * runs any other request's code: nothing else can land inside its open transaction. A unit that awaits real
 * I/O (a timer, a hash, a fetch) would let other requests' statements in; the guard notices that the event loop
 * turned while the transaction was open, and the unit is rolled back and refused.
 */
export interface UnitStatements {
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  savepoint: Database.Statement;
  release: Database.Statement;
  rollbackTo: Database.Statement;
}

const cache = new WeakMap<Database.Database, UnitStatements>();

export function unitStatements(sqlite: Database.Database): UnitStatements {
  let s = cache.get(sqlite);
  if (!s) {
    s = {
      begin: sqlite.prepare('BEGIN IMMEDIATE'),
      commit: sqlite.prepare('COMMIT'),
      rollback: sqlite.prepare('ROLLBACK'),
      savepoint: sqlite.prepare('SAVEPOINT vault_unit'),
      release: sqlite.prepare('RELEASE vault_unit'),
      rollbackTo: sqlite.prepare('ROLLBACK TO vault_unit'),
    };
    cache.set(sqlite, s);
  }
  return s;
}

export class UnitYielded extends Error {
  override name = 'UnitYielded';
  constructor() {
    super('a database unit yielded to the event loop');
  }
}

/** Started at BEGIN; `check()` before COMMIT throws if the event loop turned meanwhile. */
export function startYieldGuard(): { check(): void; stop(): void } {
  let yielded = false;
  const immediate = setImmediate(() => (yielded = true));
  return {
    check() {
      if (yielded) throw new UnitYielded();
    },
    stop: () => clearImmediate(immediate),
  };
}

/** The newest audit event as a batch's units left it: what the next append links to (audit/chain/append.ts). */
export interface AuditHead {
  seq: number;
  hash: string;
  chain: string;
}

/**
 * What a group commit's batch (group-commit.ts) keeps for its units while its one transaction is open: counts its
 * released units added (written once each, just before the COMMIT, instead of one upsert per unit) and the audit
 * chain's head as they left it (the next unit's append links to it without reading it back).
 */
export interface SqliteBatch {
  tally: Counts;
  head: AuditHead | undefined;
}

/** The audit head of the open unit's batch, as the appender reads and moves it. */
export interface AuditHeadCursor {
  get(): AuditHead | undefined;
  set(head: AuditHead): void;
}

/**
 * One unit's view of its batch: its own counts and head, the batch's only once its savepoint is released. It is
 * also the BatchTally and the head accessor the stores are handed (methods, not closures made per call: a closure
 * per store call cost more than the statement it saved).
 */
class BatchCursor implements BatchTally, AuditHeadCursor {
  adds: Counts = new Map();
  head: AuditHead | undefined;
  constructor(readonly batch: SqliteBatch) {
    this.head = batch.head;
  }
  pending(key: string): number {
    return countOf(this.batch.tally, key) + countOf(this.adds, key);
  }
  add(key: string, flush: TallyEntry['flush'], together?: Together): void {
    countOne(this.adds, key, flush, together);
  }
  get(): AuditHead | undefined {
    return this.head;
  }
  set(head: AuditHead): void {
    this.head = head;
  }
}

/**
 * The unit of the moment on a connection. `memo`: rows a store may keep for the rest of the unit (Backend.unitMemo):
 * the company read looks its customer's row up by handle once and takes the criteria and the data key from it,
 * instead of three statements. Made when a unit begins (a batch's unit or a unit of its own) and dropped when it
 * ends, so nothing kept outlives the unit's transaction; a nested unit shares its unit's scope, and a savepoint
 * rolled back empties the memo (a row kept there may have been written by the undone work) and puts the counts and
 * the head back as they were before it. Code of another request that runs between the unit's awaits sees the same
 * connection, hence the same rows, and a store that writes a row forgets it (customers/store.ts).
 */
interface UnitScope {
  memo: Map<string, unknown>;
  cursor: BatchCursor | undefined;
}
const scopes = new WeakMap<Database.Database, UnitScope>();

const scopeOf = (sqlite: Database.Database) => (sqlite.inTransaction ? scopes.get(sqlite) : undefined);

/** The open unit's memo on this connection, or undefined outside a unit. */
export function unitMemoOf(sqlite: Database.Database): Map<string, unknown> | undefined {
  return scopeOf(sqlite)?.memo;
}

/** The counts of the batch the open unit runs in (see BatchTally); undefined outside a group commit's unit. */
export function batchTallyOf(sqlite: Database.Database): BatchTally | undefined {
  return scopeOf(sqlite)?.cursor;
}

/**
 * The audit head as the open unit's batch left it, for the appender to link to and move; undefined outside a group
 * commit's unit, and `get()` undefined until an append of the batch has set it.
 */
export function batchHeadOf(sqlite: Database.Database): AuditHeadCursor | undefined {
  return scopeOf(sqlite)?.cursor;
}

/**
 * Runs fn as a unit with a fresh scope, dropped when fn ends however it ends. With `batch`, the unit's counts and
 * audit head become the batch's when fn succeeds (fn is the unit's savepoint: it succeeds once released).
 */
export async function asUnit<T>(sqlite: Database.Database, fn: () => T | Promise<T>, batch?: SqliteBatch): Promise<T> {
  const cursor = batch && new BatchCursor(batch);
  scopes.set(sqlite, { memo: new Map(), cursor });
  try {
    const value = await fn();
    if (cursor) {
      batch!.head = cursor.head;
      addCounts(batch!.tally, cursor.adds);
    }
    return value;
  } finally {
    scopes.delete(sqlite);
  }
}

/** Runs fn inside a savepoint of the open transaction: released on success, undone alone on throw. */
export async function inSavepoint<T>(sqlite: Database.Database, fn: () => T | Promise<T>): Promise<T> {
  const s = unitStatements(sqlite);
  const scope = scopes.get(sqlite);
  // What a rolled-back savepoint puts back: the unit's counts and head as they were when it began.
  const cursor = scope?.cursor;
  const before = cursor && { head: cursor.head, adds: copyCounts(cursor.adds) };
  s.savepoint.run();
  try {
    const result = await fn();
    s.release.run();
    return result;
  } catch (e) {
    scope?.memo.clear();
    if (cursor) Object.assign(cursor, before);
    // Some errors (SQLITE_FULL, IOERR, NOMEM) roll back the whole transaction, savepoints included.
    if (sqlite.inTransaction) {
      s.rollbackTo.run();
      s.release.run();
    }
    throw e;
  }
}

/** BEGIN IMMEDIATE, await fn, COMMIT; ROLLBACK on throw or when the unit yielded to the event loop. */
export async function inOuterTransaction<T>(sqlite: Database.Database, fn: () => T | Promise<T>): Promise<T> {
  const s = unitStatements(sqlite);
  s.begin.run();
  const guard = startYieldGuard();
  try {
    const result = await asUnit(sqlite, fn);
    guard.check();
    s.commit.run();
    return result;
  } catch (e) {
    if (sqlite.inTransaction) s.rollback.run();
    throw e;
  } finally {
    guard.stop();
  }
}

/**
 * The connection gate. The yield guard keeps the event loop from turning inside a unit, but microtasks of other
 * requests still run between a unit's awaits: when a group commit releases its callers together, one caller's
 * follow-up can open a unit and, while it awaits a store call, the next caller's follow-up runs. Without the gate
 * that second unit would see an open transaction and nest in it as a savepoint: its writes would commit, or be
 * undone, with somebody else's. So a unit runs nested only when it was called from inside the open unit (the
 * AsyncLocalStorage says so); any other caller waits at the gate until the open unit has committed. The gate is
 * free at every turn of the event loop (units span microtasks only), so the batch of a group commit never waits.
 */
const inside = new AsyncLocalStorage<Database.Database>();
interface Gate {
  busy: boolean;
  waiting: Array<() => void>;
}
const gates = new WeakMap<Database.Database, Gate>();

/** True when the caller runs inside the open unit of this connection (a nested unit becomes a savepoint). */
export function insideUnit(sqlite: Database.Database): boolean {
  return sqlite.inTransaction && inside.getStore() === sqlite;
}

/** Runs task as the connection's one open unit: at once if the gate is free, else after the units before it. */
export async function throughGate<T>(sqlite: Database.Database, task: () => Promise<T>): Promise<T> {
  let gate = gates.get(sqlite);
  if (!gate) gates.set(sqlite, (gate = { busy: false, waiting: [] }));
  if (gate.busy) await new Promise<void>((resolve) => gate.waiting.push(resolve));
  else gate.busy = true;
  try {
    return await inside.run(sqlite, task);
  } finally {
    const next = gate.waiting.shift();
    if (next) next();
    else gate.busy = false;
  }
}
