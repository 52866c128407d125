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
