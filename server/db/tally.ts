/** One count a batch adds up in memory, and the statement that writes the sum (on the batch's connection). */
export interface TallyEntry {
  n: number;
  flush: (n: number) => Promise<unknown>;
  /** Counters of one kind written together in ONE statement (flushCounts): this one's row in it. */
  together?: Together;
}

/** One statement that writes several counters of one kind: each counter's row (its key's columns) and sum. */
export interface Together {
  write: (rows: { row: readonly unknown[]; n: number }[]) => Promise<unknown>;
  row: readonly unknown[];
}

/**
 * Counters a group commit's batch adds to in memory and writes once each, just before its COMMIT, on either back
 * end (server/db/group-commit.ts, server/db/pg/group-commit.ts). On PostgreSQL a counter row that every unit of a
 * batch updated would stay locked from the first unit to the COMMIT, and the other lanes' batches would queue behind
 * it; on SQLite one write per counter and batch replaces one per unit.
 */
export interface BatchTally {
  /**
   * What the batch's released units and this unit have added to `key` and not yet written, and on PostgreSQL what the
   * server's other lanes have added and `snapshot` (the one the unit read the counters in) does not yet hold.
   */
  pending(key: string, snapshot?: string): number;
  add(key: string, flush: (n: number) => Promise<unknown>, together?: Together): void;
}

/** A batch's or a unit's counts by key. */
export type Counts = Map<string, TallyEntry>;

/** What `counts` holds for `key` (0 when nothing). */
export const countOf = (counts: Counts, key: string): number => counts.get(key)?.n ?? 0;

/** One more use of `key`, written later by `flush`. */
export function countOne(counts: Counts, key: string, flush: TallyEntry['flush'], together?: Together): void {
  const e = counts.get(key);
  if (e) e.n++;
  else counts.set(key, together ? { n: 1, flush, together } : { n: 1, flush });
}

/** A released unit's counts, added to its batch's. */
export function addCounts(into: Counts, from: Counts): void {
  for (const [key, e] of from) {
    const had = into.get(key);
    if (had) had.n += e.n;
    else into.set(key, e);
  }
}

/** The counts as they are now, for a savepoint to put back if it is rolled back. */
export const copyCounts = (counts: Counts): Counts => new Map([...counts].map(([k, e]) => [k, { ...e }]));

/**
 * Writes each count once (just before the batch's COMMIT), in the order of their keys, so that two batches writing
 * the same counters lock their rows in one order (no deadlock between them); counters of one kind that can be
 * written together go in one statement (a batch of reads of many grants: one statement, not one per grant).
 */
export async function flushCounts(counts: Counts): Promise<void> {
  const together = new Map<Together['write'], { row: readonly unknown[]; n: number }[]>();
  for (const key of [...counts.keys()].sort()) {
    const e = counts.get(key)!;
    if (!e.together) {
      await e.flush(e.n);
      continue;
    }
    let rows = together.get(e.together.write);
    if (!rows) together.set(e.together.write, (rows = []));
    rows.push({ row: e.together.row, n: e.n });
  }
  for (const [write, rows] of together) await write(rows);
}
