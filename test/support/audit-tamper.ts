/**
 * Single-event tampering of an export or of the table's rows, for the verify tests: each case
 * says which seq the verifier must name.
 */
import { chainHash } from '../../server/audit/chain/chain.ts';
import type { AuditRow } from '../../server/audit/chain/event.ts';

export type Tamper = (rows: AuditRow[], k: number) => AuditRow[];

const backdate = (body: string) => body.replace('"time":"2025', '"time":"2024');
const relabel = (rows: AuditRow[], from: number, by: number) =>
  rows.map((r, i) => (i >= from ? { ...r, seq: r.seq + by } : r));

/** A forged event that links correctly to the row before it: self-consistent, so only its place gives it away. */
function forgedAfter(row: AuditRow): AuditRow {
  const seq = row.seq + 1;
  const body = `{"action":"data.read","actor":{"id":"cmp_evil","kind":"company"},"seq":${seq},"time":"2025-06-01T00:00:00.000Z"}`;
  return { seq, body, prev_hash: row.hash, hash: chainHash(row.hash, body) };
}

/** name, tamper, the seq k it is applied at, and the seq the verifier must name. */
export const TAMPERS: [string, Tamper, number[], (k: number) => number][] = [
  [
    'edit event k',
    (rows, k) => rows.map((r) => (r.seq === k ? { ...r, body: backdate(r.body) } : r)),
    [1, 6, 12],
    (k) => k,
  ],
  [
    'edit event k and recompute its hash',
    (rows, k) =>
      rows.map((r) =>
        r.seq === k ? { ...r, body: backdate(r.body), hash: chainHash(r.prev_hash, backdate(r.body)) } : r,
      ),
    [1, 6, 12],
    (k) => k,
  ],
  ['delete event k', (rows, k) => rows.filter((r) => r.seq !== k), [1, 6, 12], (k) => k],
  [
    'delete event k and renumber the rest',
    (rows, k) =>
      relabel(
        rows.filter((r) => r.seq !== k),
        k - 1,
        -1,
      ),
    [1, 6, 11],
    (k) => k,
  ],
  [
    'swap events k and k+1',
    (rows, k) => {
      const c = [...rows];
      [c[k - 1], c[k]] = [c[k]!, c[k - 1]!];
      return c;
    },
    [1, 6, 11],
    (k) => k,
  ],
  ['move event k to the end', (rows, k) => [...rows.filter((r) => r.seq !== k), rows[k - 1]!], [1, 6], (k) => k],
  ['duplicate event k', (rows, k) => [...rows.slice(0, k), rows[k - 1]!, ...rows.slice(k)], [1, 6, 12], (k) => k],
  [
    'insert a forged event after k',
    (rows, k) => [...rows.slice(0, k), forgedAfter(rows[k - 1]!), ...rows.slice(k)],
    [1, 6, 11],
    (k) => k + 1,
  ],
  [
    'insert a forged event after k and renumber the rest',
    (rows, k) => [...rows.slice(0, k), forgedAfter(rows[k - 1]!), ...relabel(rows.slice(k), 0, 1)],
    [1, 6, 11],
    (k) => k + 1,
  ],
];

/** Every (name, k, expected) case of TAMPERS, for it.each. */
export function tamperCases(): [string, number, number, Tamper][] {
  return TAMPERS.flatMap(([name, fn, ks, expected]) =>
    ks.map((k): [string, number, number, Tamper] => [name, k, expected(k), fn]),
  );
}
