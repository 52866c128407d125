/** One count a batch adds up in memory, and the statement that writes the sum (on the batch's connection). */
export interface TallyEntry {
  n: number;
  flush: (n: number) => Promise<unknown>;
}

/**
 * Counters a group commit's batch adds to in memory and writes once each, just before its COMMIT, on either back
 * end (server/db/group-commit.ts, server/db/pg/group-commit.ts). On PostgreSQL a counter row that every unit of a
 * batch updated would stay locked from the first unit to the COMMIT, and the other lanes' batches would queue behind
 * it; on SQLite one write per counter and batch replaces one per unit.
 */
export interface BatchTally {
  /** What the batch's released units and this unit have added to `key` and not yet written. */
  pending(key: string): number;
  add(key: string, flush: (n: number) => Promise<unknown>): void;
}

/** A batch's or a unit's counts by key. */
export type Counts = Map<string, TallyEntry>;

/** What `counts` holds for `key` (0 when nothing). */
export const countOf = (counts: Counts, key: string): number => counts.get(key)?.n ?? 0;

/** One more use of `key`, written later by `flush`. */
export function countOne(counts: Counts, key: string, flush: TallyEntry['flush']): void {
  const e = counts.get(key);
  if (e) e.n++;
  else counts.set(key, { n: 1, flush });
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

/** Writes each count once (just before the batch's COMMIT). */
export async function flushCounts(counts: Counts): Promise<void> {
  for (const e of counts.values()) await e.flush(e.n);
}
