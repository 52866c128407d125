import type pg from 'pg';
import { keepAhead, keepAheadSeq, type ReadAheadWanted } from '../read-ahead.ts';
import { isDatabaseUnavailable } from './errors.ts';
import { numberedPlaceholders, preparedName, type ReadAheadPart } from '../raw.ts';

/**
 * The read-aheads of a whole batch of the group commit in ONE round trip (ARCHITECTURE.md, "Speed: what we design
 * with"). Each unit declares at submit what it will read first (server/db/read-ahead.ts, ReadAheadWanted); when its
 * batch has begun, the batch asks for every unit's parts at once: per part text, one subquery run once per unit
 * over the units' parameters (`unnest` of one typed array per parameter), and the audit seqs of the units that take
 * one with their reads. Each unit then finds its rows waiting in its read-ahead and sends nothing to read them.
 *
 * Rows fetched for a unit stand for what a read-ahead of its own at the batch's start would have read only while
 * nothing has been sent on the batch's connection since: group-commit.ts hands them to a unit only if every unit
 * before it in the batch sent nothing (no write, no rollback, no read or seq of its own). A unit takes all its reads
 * from this statement or none (read-ahead.ts); the other units read ahead for themselves, as before. The parts must
 * not read audit_events (read-ahead.ts): the rows the batch's earlier units hold for it are not written yet.
 *
 * A part's parameters go into arrays of the types PostgreSQL gives that part's own statement: asked once per part
 * text (`PREPARE`, then pg_prepared_statements) on a pooled connection outside any batch, in the background; until
 * every part's answer is in, or when a part's types or values do not fit ACCEPTS, a unit reads for itself. Each
 * element is then read by its type's input function, as the part's own parameter would be.
 */
export interface BatchReadAhead {
  /**
   * Fetches the units' wanted reads in one statement on `client` (the batch's connection, its transaction begun),
   * and answers per unit its rows keyed as read-ahead.ts keeps them, with its audit seq if it wants one (undefined
   * for a unit with nothing fetched). Only for a batch that appends to an audit lane. Sends nothing, and answers
   * nothing, for fewer than two units: a lone unit's own read-ahead is the same one round trip.
   */
  fetch(
    client: pg.PoolClient,
    wanted: readonly (ReadAheadWanted | undefined)[],
  ): Promise<(Map<string, unknown[]> | undefined)[]>;
  /**
   * Forgets every part's types and statement, asked again when next seen: after the batch statement failed (a column
   * whose type a migration changed while the server ran, say), group-commit.ts rolls back to the batch's savepoint and
   * its units read for themselves.
   */
  forget(): void;
}

const ignore = () => {};

/** The batch statement's alias for a unit's parameters; no part's text may use it. */
const ALIAS = 'v_batch_unit';

export function createBatchReadAhead(pool: pg.Pool): BatchReadAhead {
  // Per part text: its parameters' types, null when it cannot be batched, absent while unknown (asked once).
  const types = new Map<string, readonly string[] | null>();
  const asking = new Set<string>();
  const statements = new Map<string, { name: string; text: string }>();

  function typesOf(text: string): readonly string[] | null | undefined {
    const known = types.get(text);
    if (known !== undefined || asking.has(text)) return known;
    asking.add(text);
    void askTypes(pool, text)
      .then((t) => types.set(text, t))
      // The database not there: asked again by a later batch. Anything else: that text is not batched.
      .catch((e) => isDatabaseUnavailable(e) || types.set(text, null))
      .finally(() => asking.delete(text));
    return undefined;
  }

  async function fetch(
    client: pg.PoolClient,
    wanted: readonly (ReadAheadWanted | undefined)[],
  ): Promise<(Map<string, unknown[]> | undefined)[]> {
    // A unit is fetched for only if ALL its parts can be (read-ahead.ts: a unit reads from one statement or none).
    const batched = (w: ReadAheadWanted | undefined): w is ReadAheadWanted => {
      if (!w) return false;
      const parts = w.parts.filter((p) => p !== undefined);
      // Every part's types asked for at once (typesOf starts the asking), then all must fit.
      const known = parts.map((p) => typesOf(p.text));
      return parts.every((p, k) => {
        const t = known[k];
        const again = parts.findIndex((q) => q.text === p.text) !== k;
        return t && !again && t.length === p.params.length && p.params.every((v, j) => accepts(t[j]!, v));
      });
    };
    const units = wanted.map((w) => (batched(w) ? w : undefined));
    const none = () => wanted.map(() => undefined);
    if (units.filter((w) => w !== undefined).length < 2) return none();
    // The parts by text: which unit asked each, with which parameters.
    const byText = new Map<string, { types: readonly string[]; units: number[]; parts: ReadAheadPart[] }>();
    const seqUnits: number[] = [];
    units.forEach((w, i) => {
      if (!w) return;
      if (w.seq) seqUnits.push(i);
      for (const p of w.parts) {
        if (!p) continue;
        let group = byText.get(p.text);
        if (!group) byText.set(p.text, (group = { types: types.get(p.text)!, units: [], parts: [] }));
        group.units.push(i);
        group.parts.push(p);
      }
    });
    if (byText.size === 0 && seqUnits.length < 2) return none();
    const texts = [...byText.keys()].sort();
    const { name, text } = statementOf(texts.map((t) => ({ text: t, types: byText.get(t)!.types })));
    const values: unknown[] = [];
    for (const t of texts) {
      const g = byText.get(t)!;
      g.types.forEach((_, k) => values.push(g.parts.map((p) => p.params[k])));
    }
    values.push(seqUnits.length);
    const result = await client.query<Record<string, unknown>>({ name, text, values });
    const row = result.rows[0]!;
    const out = units.map((w) => w && new Map<string, unknown[]>());
    texts.forEach((t, j) => {
      const g = byText.get(t)!;
      for (const [ordinal, rows] of row[`p${j}`] as [number, unknown[]][]) {
        const i = ordinal - 1;
        keepAhead(out[g.units[i]!]!, g.parts[i]!, rows);
      }
    });
    // The seqs in the units' order, whatever order the statement took them in: a chain's seqs rise along it.
    const seqs = ((row.seqs as string[] | null) ?? []).map(Number).sort((a, b) => a - b);
    seqUnits.forEach((u, k) => keepAheadSeq(out[u]!, seqs[k]!));
    return out;
  }

  /** The statement for these part texts, made once per list of texts (their parameters vary, not the text). */
  function statementOf(parts: readonly { text: string; types: readonly string[] }[]) {
    const id = parts.map((p) => p.text).join('\u0000');
    let s = statements.get(id);
    if (!s) {
      let after = 0;
      const columns = parts.map(({ text, types }, j) => {
        const cols = types.map((_, k) => `c${k + 1}`);
        let k = 0;
        const sub = text.replace(/\?/g, () => `${ALIAS}.${cols[k++]}`);
        const arrays = types.map((type) => `$${++after}::${type}[]`);
        return (
          `(SELECT coalesce(json_agg(json_build_array(${ALIAS}.i, ` +
          `(SELECT coalesce(json_agg(t), '[]'::json) FROM (${sub}) AS t)) ORDER BY ${ALIAS}.i), '[]'::json) ` +
          `FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS ${ALIAS}(${cols.join(', ')}, i)) AS p${j}`
        );
      });
      columns.push(`(SELECT array_agg(nextval('audit_events_seq')) FROM generate_series(1, $${++after}::int)) AS seqs`);
      const text = `SELECT ${columns.join(', ')}`;
      s = { name: preparedName(text), text };
      statements.set(id, s);
    }
    return s;
  }

  return {
    fetch,
    forget() {
      types.clear();
      statements.clear();
    },
  };
}

/**
 * The parameter types a batch takes, each with what its arrays may hold: a value its input function could refuse
 * (a text with a NUL, an integer out of range) would fail the whole batch's statement, where the unit's own
 * read-ahead would have failed only that unit, so such a unit reads that part for itself.
 */
const textual = (v: unknown) => typeof v === 'string' && !v.includes('\u0000');
const ACCEPTS: Record<string, (v: unknown) => boolean> = {
  text: textual,
  'character varying': textual,
  smallint: (v) => Number.isInteger(v) && Math.abs(v as number) <= 0x7fff,
  integer: (v) => Number.isInteger(v) && Math.abs(v as number) <= 0x7fffffff,
  bigint: (v) => Number.isSafeInteger(v),
  boolean: (v) => typeof v === 'boolean',
};
const accepts = (type: string, v: unknown) => v === null || ACCEPTS[type]!(v);

/**
 * The types PostgreSQL infers for a part's parameters, from its statement prepared (and dropped again) on a pooled
 * connection; null when the part cannot be batched: no parameters, one of a type not in ACCEPTS, or a text that uses
 * the batch's alias.
 */
async function askTypes(pool: pg.Pool, text: string): Promise<readonly string[] | null> {
  if (text.includes(ALIAS)) return null;
  const name = `v_types_${preparedName(text)}`;
  const client = await pool.connect();
  // A checked-out connection whose server goes away also emits 'error'; the query in flight rejects anyway.
  client.on('error', ignore);
  let broken: Error | undefined;
  try {
    await client.query(`PREPARE "${name}" AS ${numberedPlaceholders(text)}`);
    try {
      const r = await client.query<{ types: string[] }>(
        'SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = $1',
        [name],
      );
      const t = r.rows[0]?.types ?? [];
      return t.length > 0 && t.every((x) => Object.hasOwn(ACCEPTS, x)) ? t : null;
    } finally {
      await client.query(`DEALLOCATE "${name}"`);
    }
  } catch (e) {
    // The connection closed rather than pooled: it may hold the prepared statement, or be gone.
    broken = e as Error;
    throw e;
  } finally {
    client.removeListener('error', ignore);
    client.release(broken);
  }
}
