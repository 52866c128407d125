/**
 * Whether a transaction's work is in what a statement read: PostgreSQL's pg_visible_in_snapshot, for a top-level
 * transaction id (`pg_current_xact_id()`) and a snapshot in its text form (`pg_current_snapshot()::text`,
 * `xmin:xmax:xip,...`; PostgreSQL docs, "Snapshot Information Functions"). A transaction below xmin had ended when
 * the snapshot was taken, one at or above xmax had not begun, and one in the list was still running.
 *
 * Ended means committed or rolled back: the caller asks only of transactions it knows did not roll back, or whose
 * work it may drop if they did (a batch that rolled back answered none of its units).
 */
export function visibleIn(xid: bigint, snapshot: string): boolean {
  const m = /^(\d+):(\d+):([\d,]*)$/.exec(snapshot);
  if (!m) throw new Error(`not a snapshot: ${snapshot}`);
  const xmin = BigInt(m[1]!);
  const xmax = BigInt(m[2]!);
  if (xid < xmin) return true;
  if (xid >= xmax) return false;
  return !(m[3] ? m[3].split(',') : []).some((x) => BigInt(x) === xid);
}
