import type pg from 'pg';
import type { Backend } from './backend.ts';
import { numberedPlaceholders, preparedName, type ReadAheadPart } from './raw.ts';

/**
 * Several reads of a unit in one round trip, on PostgreSQL (ARCHITECTURE.md, "Speed: what we design with"). A unit
 * that knows, when it starts, the statements it will read with (a company read: its refusal count, token, grant,
 * customer, terms version and usage) sends them here as ONE prepared statement, each part a subquery whose rows
 * come back as a JSON array; each part's rows then wait in the unit (Backend.readAhead) for its own statement,
 * which takes them instead of a round trip (server/db/raw.ts). The first statement of the unit that is not served
 * from them ends them all (server/db/pg/unit.ts): a row served is what its statement would have read had it been sent
 * right after this one, with nothing of the unit in between, so the unit decides exactly as it would without.
 * A part that is not asked for, or asked with other parameters, is simply never served.
 *
 * The parts must not read audit_events: the read-ahead does not first write the audit rows its batch still holds
 * (server/db/pg/unit.ts, touch), as any other statement of the unit does.
 *
 * SQLite: nothing (its statements are no round trips). Outside a unit: nothing either.
 */
export async function readAhead(b: Backend, parts: readonly (ReadAheadPart | undefined)[], { seq = false } = {}) {
  const ahead = b.readAhead?.();
  if (!ahead) return;
  const list = parts.filter((p): p is ReadAheadPart => p !== undefined);
  const withSeq = seq && b.auditLane?.() !== undefined;
  // All of a unit's reads come from ONE statement: its batch's (server/db/pg/batch-read-ahead.ts), when that fetched
  // every part and the seq it asks for now (parts keyed by the minute or hour may have turned since), or its own.
  if (list.every((p) => ahead.has(p.key)) && (!withSeq || ahead.has(SEQ))) return;
  ahead.clear();
  if (list.length === 0 && !withSeq) return;
  const { name, text } = statementOf(list, withSeq);
  // Not through b.q(): the read-ahead is not a statement that touches the unit (server/db/pg/unit.ts, touch).
  const client = b.readAheadClient?.() as pg.PoolClient;
  const result = await client.query<Record<string, unknown[]>>({ name, text, values: list.flatMap((p) => p.params) });
  const row = result.rows[0]!;
  list.forEach((p, i) => keepAhead(ahead, p, row[`r${i}`]!));
  if (withSeq) keepAheadSeq(ahead, Number(row.seq));
}

/** What a unit will read ahead, declared before it runs: its parts, and whether it takes its audit seq with them. */
export interface ReadAheadWanted {
  parts: readonly (ReadAheadPart | undefined)[];
  seq: boolean;
}

/** Keeps one part's rows in a unit's read-ahead, under the key its statement looks them up by (raw.ts). */
export function keepAhead(ahead: Map<string, unknown[]>, p: ReadAheadPart, rows: unknown[]): void {
  // JSON has no bytes: a bytea column comes back as PostgreSQL's hex text, `\x` then two digits a byte (the
  // default bytea_output; a database set to `escape` is refused here rather than decoded wrongly).
  if (p.bytea.length > 0)
    for (const r of rows as Record<string, unknown>[])
      for (const c of p.bytea) if (typeof r[c] === 'string') r[c] = hexBytes(r[c] as string);
  ahead.set(p.key, rows);
}

/** Keeps the audit seq taken with a unit's reads, for takeAheadSeq. */
export function keepAheadSeq(ahead: Map<string, unknown[]>, seq: number): void {
  ahead.set(SEQ, [seq]);
}

const SEQ = 'nextval audit_events_seq';

/**
 * The audit seq the unit's read-ahead took with its reads (`seq`), if the unit has sent no other statement since
 * (which ends the read-ahead, server/db/pg/unit.ts); taken once. Such a seq is as good as one taken when the event is
 * made: everything the unit has read from the database was read in the statement that took it, so no event the unit
 * saw there can have a higher seq (the other lanes' uncommitted counts it adds in memory, usage.ts, are as before:
 * they order nothing across chains), and a unit that waited on anything (a write blocked on another lane's lock) sent a statement and ends up
 * with a fresh one (group-commit.ts, begin). A seq taken and not used is a gap, as a rolled-back unit's is.
 */
export function takeAheadSeq(b: Backend): number | undefined {
  const ahead = b.readAhead?.();
  const seq = ahead?.get(SEQ)?.[0] as number | undefined;
  if (seq !== undefined) ahead!.delete(SEQ);
  return seq;
}

function hexBytes(text: string): Buffer {
  if (!/^\\x(?:[0-9a-f]{2})*$/.test(text)) throw new Error('read-ahead: bytea_output must be hex');
  return Buffer.from(text.slice(2), 'hex');
}

/**
 * The combined statement of these parts' texts (and the audit seq, with `seq`), made once per list of texts (the
 * parameters vary, not the text).
 */
const statements = new Map<string, { name: string; text: string }>();
function statementOf(parts: readonly ReadAheadPart[], seq: boolean) {
  const id = `${seq}\u0000${parts.map((p) => p.text).join('\u0000')}`;
  let s = statements.get(id);
  if (!s) {
    let after = 0;
    const columns = parts.map((p, i) => {
      const sub = numberedPlaceholders(p.text, after);
      after += p.params.length;
      return `(SELECT coalesce(json_agg(t), '[]'::json) FROM (${sub}) AS t) AS r${i}`;
    });
    if (seq) columns.push("nextval('audit_events_seq') AS seq");
    const text = `SELECT ${columns.join(', ')}`;
    s = { name: preparedName(text), text };
    statements.set(id, s);
  }
  return s;
}
