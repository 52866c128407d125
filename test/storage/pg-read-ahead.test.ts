import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBackend, type Backend } from '../../server/db/backend.ts';
import { createPgPool, type PgStorePool } from '../../server/db/pg/pool.ts';
import { createPgUnits, type PgUnits } from '../../server/db/pg/unit.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { readAhead } from '../../server/db/read-ahead.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';

/**
 * A unit's reads fetched ahead in one round trip (server/db/read-ahead.ts) on a real throwaway cluster: each
 * statement gets the rows it would have read, once, and only while the unit has sent nothing else.
 */
let cluster: PostgresCluster;
let store: PgStorePool;
let units: PgUnits;
let b: Backend;
/** The statements each checked-out connection sent, in order. */
const sent: string[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
  const url = await cluster.createDatabase('read_ahead');
  await cluster.query(
    'read_ahead',
    'CREATE TABLE things (id text PRIMARY KEY, n bigint NOT NULL, flag boolean NOT NULL, blob bytea, note text)',
  );
  store = createPgPool(url);
  const counted = new WeakSet<pg.PoolClient>();
  store.pool.on('acquire', (client) => {
    if (counted.has(client)) return;
    counted.add(client);
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (q: unknown, ...rest: unknown[]) => {
      sent.push(typeof q === 'string' ? q : (q as { text: string }).text);
      return query(q, ...rest);
    };
  });
  units = createPgUnits(store.pool, store.db);
  b = postgresBackend(units);
}, 120_000);

afterAll(async () => {
  await store?.close();
  cluster?.stop();
});

const put = (id: string, n: number, note: string | null = null) =>
  cluster.query(
    'read_ahead',
    `INSERT INTO things VALUES ('${id}', ${n}, ${n % 2 === 0}, '\\x00ff${n.toString(16).padStart(2, '0')}'::bytea, ${note === null ? 'NULL' : `'${note}'`})
     ON CONFLICT (id) DO UPDATE SET n = excluded.n, flag = excluded.flag, blob = excluded.blob, note = excluded.note`,
  );
const thing = () =>
  rawStatement<{ id: string; n: number; flag: boolean; blob: Buffer; note: string | null }>(
    b,
    'SELECT id, n, flag, blob, note FROM things WHERE id = ?',
  );
const many = () => rawStatement<{ id: string }>(b, 'SELECT id FROM things WHERE n > ? ORDER BY id');

describe('read-ahead', () => {
  it('when a unit reads ahead, then each statement gets the rows it would have read (texts, numbers, booleans, bytes, none), in one round trip', async () => {
    await put('ra-1', 6, 'a "quoted" \\ note é');
    await put('ra-2', 7);
    const one = thing();
    const several = many();
    const plain = await units.inTransaction(async () => ({
      a: await one.get('ra-1'),
      b: await one.get('ra-2'),
      none: await one.get('ra-none'),
      list: await several.all(5),
    }));
    sent.length = 0;
    const ahead = await units.inTransaction(async () => {
      await readAhead(b, [
        one.ahead(['ra-1'], ['blob']),
        one.ahead(['ra-2'], ['blob']),
        one.ahead(['ra-none']),
        several.ahead([5]),
      ]);
      return {
        a: await one.get('ra-1'),
        b: await one.get('ra-2'),
        none: await one.get('ra-none'),
        list: await several.all(5),
      };
    });
    expect(ahead).toEqual(plain);
    expect(Buffer.isBuffer(ahead.a!.blob)).toBe(true);
    expect(ahead.a!.blob.equals(Buffer.from([0, 255, 6]))).toBe(true);
    expect(ahead.none).toBeUndefined();
    // BEGIN, the read-ahead, COMMIT: the four reads took no round trip of their own.
    expect(sent).toHaveLength(3);
    expect(sent[1]).toMatch(/^SELECT \(SELECT coalesce\(json_agg/);
  });

  it('when a statement was fetched ahead, then it is served once: asked again, it reads the database', async () => {
    await put('ra-once', 2);
    const one = thing();
    const seen = await units.inTransaction(async () => {
      await readAhead(b, [one.ahead(['ra-once'])]);
      const first = await one.get('ra-once');
      // Committed by another connection meanwhile: READ COMMITTED shows it to the unit's next statement.
      await put('ra-once', 4);
      const second = await one.get('ra-once');
      return [first!.n, second!.n];
    });
    expect(seen).toEqual([2, 4]);
  });

  it('when the unit sends any other statement after the read-ahead, then nothing fetched ahead is served', async () => {
    await put('ra-w', 10);
    await put('ra-x', 20);
    const one = thing();
    const write = rawStatement(b, 'UPDATE things SET n = n + 1 WHERE id = ?');
    const seen = await units.inTransaction(async () => {
      await readAhead(b, [one.ahead(['ra-w']), one.ahead(['ra-x'])]);
      // A write of the unit's own, through drizzle: the rows fetched ahead are from before it.
      await units.current().execute(sql`UPDATE things SET n = 11 WHERE id = 'ra-w'`);
      const w = await one.get('ra-w');
      await readAhead(b, [one.ahead(['ra-x'])]);
      // A raw write too.
      await write.run('ra-x');
      const x = await one.get('ra-x');
      return [w!.n, x!.n];
    });
    expect(seen).toEqual([11, 21]);
  });

  it('when a savepoint begins after the read-ahead, then nothing fetched ahead is served', async () => {
    await put('ra-s', 1);
    const one = thing();
    const seen = await units.inTransaction(async () => {
      await readAhead(b, [one.ahead(['ra-s'])]);
      await units.inTransaction(async () => {
        await put('ra-s', 3); // committed elsewhere while the savepoint runs
      });
      return (await one.get('ra-s'))!.n;
    });
    expect(seen).toBe(3);
  });

  it('when a parameter is not a text, number, boolean or null, then that statement is not read ahead', () => {
    const one = thing();
    expect(one.ahead(['ra-1'])).toBeDefined();
    expect(one.ahead([new Date(0)])).toBeUndefined();
    expect(one.ahead([Buffer.from('ra-1')])).toBeUndefined();
    expect(one.ahead([undefined])).toBeUndefined();
  });

  it('when the database writes bytea in escape form, then the read-ahead is refused, not decoded wrongly', async () => {
    await put('ra-e', 8);
    const one = thing();
    const run = units.inTransaction(async () => {
      await units.current().execute(sql`SET LOCAL bytea_output = 'escape'`);
      await readAhead(b, [one.ahead(['ra-e'], ['blob'])]);
    });
    await expect(run).rejects.toThrow('bytea_output must be hex');
  });

  it('when there is no unit, or the back end is SQLite, then nothing is fetched ahead', async () => {
    const one = thing();
    sent.length = 0;
    await readAhead(b, [one.ahead(['ra-1'])]);
    expect(sent).toEqual([]);
    const sqlite = { ...b, dialect: 'sqlite' as const, readAhead: undefined };
    await readAhead(sqlite, [one.ahead(['ra-1'])]);
    expect(sent).toEqual([]);
  });
});
