import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';

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

/**
 * Rows a store may keep for the rest of the unit of the moment (Backend.unitMemo): the company read looks its
 * customer's row up by handle once and takes the criteria and the data key from it, instead of three statements.
 * One map per connection, made when a unit begins (a batch's unit or a unit of its own) and dropped when it ends,
 * so nothing kept outlives the unit's transaction; a nested unit shares its unit's map, which a savepoint rolled
 * back empties (a row kept there may have been written by the undone work). Code of another request that runs
 * between the unit's awaits sees the same connection, hence the same rows, and a store that writes a row forgets
 * it (customers/store.ts).
 */
const memos = new WeakMap<Database.Database, Map<string, unknown>>();

/** The open unit's memo on this connection, or undefined outside a unit. */
export function unitMemoOf(sqlite: Database.Database): Map<string, unknown> | undefined {
  return sqlite.inTransaction ? memos.get(sqlite) : undefined;
}

/** Runs fn as a unit with a fresh memo, dropped when fn ends however it ends. */
export async function withUnitMemo<T>(sqlite: Database.Database, fn: () => T | Promise<T>): Promise<T> {
  memos.set(sqlite, new Map());
  try {
    return await fn();
  } finally {
    memos.delete(sqlite);
  }
}

/** Runs fn inside a savepoint of the open transaction: released on success, undone alone on throw. */
export async function inSavepoint<T>(sqlite: Database.Database, fn: () => T | Promise<T>): Promise<T> {
  const s = unitStatements(sqlite);
  s.savepoint.run();
  try {
    const result = await fn();
    s.release.run();
    return result;
  } catch (e) {
    memos.get(sqlite)?.clear();
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
    const result = await withUnitMemo(sqlite, fn);
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
