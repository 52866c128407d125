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

/** Runs fn inside a savepoint of the open transaction: released on success, undone alone on throw. */
export async function inSavepoint<T>(sqlite: Database.Database, fn: () => T | Promise<T>): Promise<T> {
  const s = unitStatements(sqlite);
  s.savepoint.run();
  try {
    const result = await fn();
    s.release.run();
    return result;
  } catch (e) {
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
    const result = await fn();
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
