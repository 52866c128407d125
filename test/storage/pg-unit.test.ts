import { eq, like, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditAppender } from '../../server/audit/chain/append.ts';
import { GENESIS_HASH } from '../../server/audit/chain/chain.ts';
import { postgresBackend } from '../../server/db/backend.ts';
import type { GroupCommit } from '../../server/db/group-commit.ts';
import { createUsage } from '../../server/grants/usage.ts';
import { createPgGroupCommit } from '../../server/db/pg/group-commit.ts';
import { migratePostgres } from '../../server/db/pg/migrate.ts';
import { createPgPool, type PgStorePool } from '../../server/db/pg/pool.ts';
import { leases } from '../../server/db/pg/schema.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { readAhead } from '../../server/db/read-ahead.ts';
import { createPgUnits, PG_UNIT, type PgUnits } from '../../server/db/pg/unit.ts';
import { ServiceUnavailable } from '../../server/http/errors.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';

/**
 * The PostgreSQL unit of work and audited batch (server/db/pg/), on a real throwaway cluster with the real
 * migrations. Rows are `leases` rows written through drizzle on `current()`, as a store would write them.
 */
const APP = 'vault-pg-unit-test';
let cluster: PostgresCluster;
let store: PgStorePool;
let units: PgUnits;
let commit: GroupCommit;

beforeAll(async () => {
  cluster = await startPostgres();
  const url = await cluster.createDatabase('pg_unit');
  await migratePostgres(url);
  store = createPgPool(url, { applicationName: APP });
  units = createPgUnits(store.pool, store.db);
  // One lane: these tests pin how one batch at a time behaves; the lanes have tests of their own below.
  commit = createPgGroupCommit(store.pool, units, { lanes: 1 });
}, 120_000);

afterAll(async () => {
  commit?.close();
  await store?.close();
  cluster?.stop();
});

/** Writes a row through whatever executor a store would use right now. */
const put = (name: string) => units.current().insert(leases).values({ name, holder: 'h', expiresAt: 0 });
/** Names starting with `prefix`, as the pool (outside any unit) sees them: committed rows only. */
const committed = async (prefix: string) =>
  (
    await store.db
      .select({ name: leases.name })
      .from(leases)
      .where(like(leases.name, `${prefix}%`))
  )
    .map((r) => r.name)
    .sort();
const visibleHere = async (name: string) =>
  (await units.current().select().from(leases).where(eq(leases.name, name))).length === 1;
const txid = async () =>
  Number((await units.current().execute<{ t: string }>(sql`SELECT txid_current()::text AS t`)).rows[0]!.t);

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Polls until `check` holds; fails after `ms` (no fixed sleep waits for anything). */
async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pool, whose checked-out connections note every statement they send in `sent`. */
function countingPool(sent: string[]): pg.Pool {
  return {
    connect: async () => {
      const client = await store.pool.connect();
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (q: unknown, ...rest: unknown[]) => {
        sent.push(typeof q === 'string' ? q : (q as { text: string }).text);
        return query(q, ...rest);
      };
      // Pooled again as it was: the next checkout must not count into this test.
      const release = client.release.bind(client);
      client.release = (e?: Error | boolean) => ((client as unknown as { query: unknown }).query = query) && release(e);
      return client;
    },
  } as unknown as pg.Pool;
}

/** An event a unit appends, and a chain's links in seq order as committed. */
const APPEND = { action: 'data.read', actor: { kind: 'company', id: 'c1' }, decision: 'allow' } as const;
const linksOf = async (chain: string) =>
  (
    await store.pool.query<{ prev: string; hash: string }>(
      'SELECT prev_hash AS prev, hash FROM audit_events WHERE chain = $1 ORDER BY seq',
      [chain],
    )
  ).rows;

/** Every outcome of a set of submits, once all have settled. */
const outcomes = (ps: Promise<unknown>[]) => Promise.allSettled(ps);

describe('inTransaction and current()', () => {
  it('when a unit returns, then its rows are committed; when it throws, then nothing of it remains', async () => {
    await units.inTransaction(async () => {
      await put('t1-a');
      await put('t1-b');
    });
    expect(await committed('t1-')).toEqual(['t1-a', 't1-b']);

    const boom = new Error('refused');
    const failed = units.inTransaction(async () => {
      await put('t1-c');
      throw boom;
    });
    await expect(failed).rejects.toBe(boom);
    expect(await committed('t1-')).toEqual(['t1-a', 't1-b']);
  });

  it('when a nested unit throws, then only its savepoint is undone and the outer unit commits the rest', async () => {
    await units.inTransaction(async () => {
      await put('t2-outer');
      await expect(
        units.inTransaction(async () => {
          await put('t2-inner-undone');
          throw new Error('inner refused');
        }),
      ).rejects.toThrow('inner refused');
      await units.inTransaction(() => put('t2-inner-kept'));
      await put('t2-after');
    });
    expect(await committed('t2-')).toEqual(['t2-after', 't2-inner-kept', 't2-outer']);
  });

  it('when two units run at once, then neither sees the other uncommitted rows, and the pool sees only commits', async () => {
    const aWrote = deferred();
    const poolLooked = deferred();
    const bLooked = deferred();
    const a = units.inTransaction(async () => {
      await put('t3-a');
      expect(await visibleHere('t3-a')).toBe(true); // a unit sees its own rows
      aWrote.resolve();
      await bLooked.promise;
    });
    const b = units.inTransaction(async () => {
      await poolLooked.promise;
      expect(await visibleHere('t3-a')).toBe(false);
      bLooked.resolve();
    });
    await aWrote.promise;
    expect(await visibleHere('t3-a')).toBe(false); // outside a unit: the pool
    poolLooked.resolve();
    await Promise.all([a, b]);
    expect(await visibleHere('t3-a')).toBe(true);
  });

  it('when work a unit left behind calls a store after the unit ended, then it is refused, not run on a pooled connection', async () => {
    const gate = deferred();
    let leftBehind: Promise<unknown> | undefined;
    await units.inTransaction(async () => {
      leftBehind = gate.promise.then(() => put('t11-late'));
    });
    let batchLeftBehind: Promise<unknown> | undefined;
    await commit.submit(async () => {
      batchLeftBehind = gate.promise.then(() => put('t11-late-batch'));
    });
    gate.resolve();
    await expect(leftBehind).rejects.toThrow('a unit that has already ended');
    await expect(batchLeftBehind).rejects.toThrow('a unit that has already ended');
    expect(await committed('t11-')).toEqual([]);
  });

  it('when PostgreSQL reports a serialization failure, then the whole unit runs again, a bounded number of times', async () => {
    const conflict = sql`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`;
    let runs = 0;
    const value = await units.inTransaction(async () => {
      runs++;
      await put(`t4-run-${runs}`);
      if (runs < PG_UNIT.maxAttempts) await units.current().execute(conflict);
      return runs;
    });
    expect(value).toBe(PG_UNIT.maxAttempts);
    expect(await committed('t4-')).toEqual([`t4-run-${PG_UNIT.maxAttempts}`]);

    runs = 0;
    const always = units.inTransaction(async () => {
      runs++;
      await units.current().execute(conflict);
    });
    await expect(always).rejects.toMatchObject({ cause: { code: '40001' } });
    expect(runs).toBe(PG_UNIT.maxAttempts);
  });
});

describe('group commit', () => {
  it('when a unit of a batch throws, then it alone is rolled back and rejected; its batch-mates commit', async () => {
    const boom = new Error('unit refused');
    const results = await outcomes([
      commit.submit(() => put('t5-a')),
      commit.submit(async () => {
        await put('t5-undone');
        throw boom;
      }),
      commit.submit(async () => {
        await put('t5-c');
        return 'c';
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBe(boom);
    expect((results[2] as PromiseFulfilledResult<string>).value).toBe('c');
    expect(await committed('t5-')).toEqual(['t5-a', 't5-c']);
  });

  it('when units swallow a failed statement, then each alone is rolled back and the units around them commit', async () => {
    // A swallowed failure leaves the transaction aborted: the unit's RELEASE fails (with the next unit's SAVEPOINT
    // in the same round trip, which then does not run), and the unit is rolled back to the savepoint it ran in.
    const swallowing = (name: string) => async () => {
      await put(name);
      await units
        .current()
        .execute(sql`SELECT 1 / 0`)
        .catch(() => {});
      return name;
    };
    const results = await outcomes([
      commit.submit(() => put('t5s-a')),
      commit.submit(swallowing('t5s-undone-1')),
      commit.submit(swallowing('t5s-undone-2')),
      commit.submit(() => put('t5s-b')),
      commit.submit(swallowing('t5s-undone-3')),
      commit.submit(() => put('t5s-c')),
      commit.submit(swallowing('t5s-undone-4')),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect(await committed('t5s-')).toEqual(['t5s-a', 't5s-b', 't5s-c']);
  });

  it('when a batch runs N units, then it takes one round trip per unit besides their own statements, and BEGIN, COMMIT', async () => {
    const sent: string[] = [];
    const counting = countingPool(sent);
    const gc = createPgGroupCommit(counting, units, { lanes: 1 });
    await Promise.all(['t5r-a', 't5r-b', 't5r-c'].map((n) => gc.submit(() => put(n))));
    expect(await committed('t5r-')).toEqual(['t5r-a', 't5r-b', 't5r-c']);
    const inserts = sent.filter((q) => q.startsWith('insert'));
    const others = sent.filter((q) => !q.startsWith('insert'));
    expect(inserts).toHaveLength(3);
    expect(others).toEqual([
      'BEGIN; SET LOCAL synchronous_commit TO on; SAVEPOINT batch_unit',
      'RELEASE SAVEPOINT batch_unit; SAVEPOINT batch_unit',
      'RELEASE SAVEPOINT batch_unit; SAVEPOINT batch_unit',
      'RELEASE SAVEPOINT batch_unit',
      'COMMIT',
    ]);
    gc.close();
  });

  it('when N units are submitted in one turn, then they commit in fewer than N transactions (maxBatch apart)', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => commit.submit(txid)));
    expect(new Set(ids).size).toBe(1);

    const small = createPgGroupCommit(store.pool, units, { maxBatch: 4, lanes: 1 });
    const ids4 = await Promise.all(Array.from({ length: 10 }, () => small.submit(txid)));
    expect(new Set(ids4).size).toBe(3);
    small.close();
  });

  it('when units arrive while a batch is in flight, then they wait for its COMMIT and share the next batch', async () => {
    // Counts the batches that check out a connection, i.e. that have started.
    let started = 0;
    const counting = { connect: () => (started++, store.pool.connect()) } as unknown as pg.Pool;
    const gc = createPgGroupCommit(counting, units, { lanes: 1 });
    const gate = deferred();
    const running = deferred();
    const first = gc.submit(async () => {
      await put('t7-first');
      running.resolve();
      await gate.promise;
      return txid();
    });
    await running.promise;
    const later = Array.from({ length: 5 }, () =>
      gc.submit(async () => ({ id: await txid(), seen: await committed('t7-') })),
    );
    // The group commit's setImmediate was queued before this one: by now a second batch would have started.
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(1);
    gate.resolve();
    const [a, ...rest] = await Promise.all([first, ...later]);
    expect(started).toBe(2);
    expect(new Set(rest.map((r) => r.id)).size).toBe(1);
    expect(rest[0]!.id).not.toBe(a);
    for (const r of rest) expect(r.seen).toEqual(['t7-first']);
    gc.close();
  });

  it('when a batch is still running, then none of its callers has been answered before its COMMIT', async () => {
    let firstAnswered = false;
    const first = commit.submit(() => put('t8-first')).then(() => (firstAnswered = true));
    const second = commit.submit(async () => {
      // The first unit is done, but its batch has not committed: its caller must not have its answer yet.
      expect(await committed('t8-')).toEqual([]);
      expect(firstAnswered).toBe(false);
    });
    await Promise.all([first, second]);
    expect(await committed('t8-')).toEqual(['t8-first']);
  });
  it('when a role or database turns synchronous_commit off, then a batch still commits with it on', async () => {
    await cluster.query('pg_unit', 'ALTER DATABASE pg_unit SET synchronous_commit = off');
    const other = createPgPool(cluster.url('pg_unit'), { applicationName: APP });
    try {
      const otherUnits = createPgUnits(other.pool, other.db);
      const gc = createPgGroupCommit(other.pool, otherUnits);
      const show = async () =>
        (await otherUnits.current().execute<{ synchronous_commit: string }>(sql`SHOW synchronous_commit`)).rows[0]!
          .synchronous_commit;
      expect(await show()).toBe('off'); // outside a batch: the database's default
      expect(await gc.submit(show)).toBe('on');
      gc.close();
    } finally {
      await cluster.query('pg_unit', 'ALTER DATABASE pg_unit RESET synchronous_commit');
      await other.close();
    }
  });
});

describe('group commit lanes', () => {
  it('when a lane holds a batch in flight, then units submitted later commit on another lane beside it', async () => {
    const gc = createPgGroupCommit(store.pool, units, { lanes: 2 });
    const gate = deferred();
    const running = deferred();
    const first = gc.submit(async () => {
      running.resolve();
      await gate.promise;
      return txid();
    });
    await running.promise;
    const second = await gc.submit(txid); // answered while the first batch still waits
    gate.resolve();
    expect(await first).not.toBe(second);
    gc.close();
  });

  it('when units of a batch append, then each links to the one before on its lane chain; a rolled-back unit moves no head', async () => {
    const append = createAuditAppender(postgresBackend(units), () => new Date(), 'lanes');
    const gc = createPgGroupCommit(store.pool, units, { chain: 'lanes', lanes: 1 });
    const boom = new Error('unit refused');
    const results = await outcomes([
      gc.submit(() => append(APPEND)),
      gc.submit(async () => {
        await append(APPEND);
        throw boom;
      }),
      gc.submit(async () => {
        // A savepoint inside the unit that appends and is undone leaves the head where it was too.
        await units
          .inTransaction(async () => {
            await append(APPEND);
            throw boom;
          })
          .catch(() => {});
        return append(APPEND);
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await gc.submit(() => append(APPEND)); // a later batch reads the head again under the lock
    await units.inTransaction(() => append(APPEND)); // outside the group commit: the server's own chain
    const lane = await linksOf('lanes.0');
    expect(lane.map((l) => l.prev)).toEqual([GENESIS_HASH, lane[0]!.hash, lane[1]!.hash]);
    expect((await linksOf('lanes')).map((l) => l.prev)).toEqual([GENESIS_HASH]);
    gc.close();
  });
});

describe('audit rows of units that send nothing but their read-ahead', () => {
  it('when a batch of units only appends, then no unit has a savepoint or INSERT round trip: their rows go in one statement before the COMMIT, linked in order', async () => {
    const sent: string[] = [];
    const append = createAuditAppender(postgresBackend(units), () => new Date(), 'held');
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'held', lanes: 1 });
    await Promise.all([1, 2, 3].map(() => gc.submit(() => append(APPEND))));
    const links = await linksOf('held.0');
    expect(links.map((l) => l.prev)).toEqual([GENESIS_HASH, links[0]!.hash, links[1]!.hash]);
    expect(sent.filter((q) => /SAVEPOINT batch_unit$|^RELEASE/.test(q) && !q.startsWith('BEGIN'))).toEqual([]);
    const inserts = sent.filter((q) => q.startsWith('INSERT INTO audit_events'));
    expect(inserts).toHaveLength(1);
    expect(inserts[0]).toMatch(/unnest/);
    expect(sent.indexOf(inserts[0]!)).toBe(sent.indexOf('COMMIT') - 1);
    gc.close();
  });

  it('when a later unit of the batch sends a statement, then the rows held so far are written before it, and stay written if that unit is rolled back', async () => {
    const append = createAuditAppender(postgresBackend(units), () => new Date(), 'held2');
    const gc = createPgGroupCommit(store.pool, units, { chain: 'held2', lanes: 1 });
    const onChain = async () =>
      Number(
        (
          await units
            .current()
            .execute<{ n: string }>(sql`SELECT count(*) AS n FROM audit_events WHERE chain = 'held2.0'`)
        ).rows[0]!.n,
      );
    let seen = -1;
    const results = await outcomes([
      gc.submit(() => append(APPEND)),
      gc.submit(async () => {
        seen = await onChain();
        await put('t10-undone');
        throw new Error('unit refused');
      }),
      gc.submit(() => append(APPEND)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen).toBe(1);
    expect(await committed('t10-')).toEqual([]);
    const links = await linksOf('held2.0');
    expect(links.map((l) => l.prev)).toEqual([GENESIS_HASH, links[0]!.hash]);
    gc.close();
  });

  it('when the rows held for the batch cannot be written, then every unit of the batch is rejected and nothing of it commits', async () => {
    const append = createAuditAppender(postgresBackend(units), () => new Date(), 'held3');
    const gc = createPgGroupCommit(store.pool, units, { chain: 'held3', lanes: 1 });
    await gc.submit(() => append(APPEND));
    const [taken] = await linksOf('held3.0');
    const { rows } = await store.pool.query<{ seq: string }>("SELECT seq FROM audit_events WHERE chain = 'held3.0'");
    const results = await outcomes([
      gc.submit(() => append(APPEND)),
      gc.submit(() => put('t11-written')),
      // A row whose seq is already taken: the batch's write of its held rows fails on the primary key.
      gc.submit(async () => {
        units.deferAudit([
          Number(rows[0]!.seq),
          't',
          'data.read',
          'company',
          'c1',
          null,
          null,
          null,
          null,
          '{}',
          'p',
          'h',
          'held3.0',
        ]);
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await committed('t11-')).toEqual([]);
    expect((await linksOf('held3.0')).map((l) => l.hash)).toEqual([taken!.hash]);
    gc.close();
  });
});

describe("a batch's read-aheads in one statement", () => {
  const b = () => postgresBackend(units);
  const byName = () =>
    rawStatement<{ name: string; holder: string }>(b(), 'SELECT name, holder FROM leases WHERE name = ?');
  /** A unit that reads its lease row ahead (declared at submit), then reads it, then appends; answers the holder. */
  const reader = (gc: GroupCommit, append: ReturnType<typeof createAuditAppender>, name: string) => {
    const wanted = () => ({ parts: [byName().ahead([name])], seq: true });
    return gc.submit(async () => {
      const w = wanted();
      await readAhead(b(), w.parts, { seq: w.seq });
      const holder = (await byName().all(name))[0]?.holder;
      await append(APPEND);
      return holder;
    }, wanted);
  };
  const isBatchAhead = (q: string) => /WITH ORDINALITY/.test(q);
  const isOwnAhead = (q: string) => q.startsWith('SELECT (SELECT coalesce(json_agg(t)');

  it('when the units of a batch declare their reads, then one statement reads them all and takes their seqs in chain order; no unit reads for itself', async () => {
    const sent: string[] = [];
    const append = createAuditAppender(b(), () => new Date(), 'ahead');
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'ahead', lanes: 1 });
    const names = ['t12-a', 't12-b', 't12-c'];
    await Promise.all(names.map((n) => units.inTransaction(() => put(n))));
    // The batch learns a part's parameter types once, in the background: the first batches read for themselves.
    let holders: unknown[] = [];
    await until(async () => {
      sent.length = 0;
      holders = await Promise.all(names.map((n) => reader(gc, append, n)));
      return sent.some(isBatchAhead);
    });
    expect(holders).toEqual(['h', 'h', 'h']);
    expect(sent.filter(isBatchAhead)).toHaveLength(1);
    expect(sent.filter(isOwnAhead)).toEqual([]);
    expect(sent.filter((q) => /FROM leases WHERE name/.test(q) && !isBatchAhead(q))).toEqual([]);
    expect(sent.filter((q) => /nextval/.test(q) && !isBatchAhead(q))).toEqual([]);
    // Each event links to the one before it in seq order: the seqs were handed out in the units' order.
    const links = await linksOf('ahead.0');
    expect(links.slice(1).map((l) => l.prev)).toEqual(links.slice(0, -1).map((l) => l.hash));
    gc.close();
  });

  it('when a unit of the batch writes, then the units after it read for themselves and see what it wrote', async () => {
    const sent: string[] = [];
    const append = createAuditAppender(b(), () => new Date(), 'ahead2');
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'ahead2', lanes: 1 });
    await units.inTransaction(() => put('t13-x'));
    const hold = (holder: string) => units.current().update(leases).set({ holder }).where(eq(leases.name, 't13-x'));
    let seen: unknown[] = [];
    await until(async () => {
      await units.inTransaction(() => hold('h'));
      sent.length = 0;
      seen = await Promise.all([
        reader(gc, append, 't13-x'),
        gc.submit(
          async () => void (await hold('moved')),
          () => ({ parts: [byName().ahead(['t13-x'])], seq: true }),
        ),
        reader(gc, append, 't13-x'),
      ]);
      return sent.some(isBatchAhead);
    });
    expect(seen).toEqual(['h', undefined, 'moved']);
    // The first unit's read was served from the batch's statement; the third read for itself, after the write.
    expect(sent.filter(isOwnAhead)).toHaveLength(1);
    gc.close();
  });

  it('when a unit declares a value its parameter type would refuse, then only that unit fails, not its batch', async () => {
    const append = createAuditAppender(b(), () => new Date(), 'ahead3');
    const sent: string[] = [];
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'ahead3', lanes: 1 });
    await units.inTransaction(() => put('t14-ok'));
    let results: PromiseSettledResult<unknown>[] = [];
    await until(async () => {
      sent.length = 0;
      results = await outcomes([
        reader(gc, append, 't14-ok'),
        reader(gc, append, 'nul\u0000'),
        reader(gc, append, 't14-ok'),
      ]);
      return sent.some(isBatchAhead);
    });
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    gc.close();
  });
});

describe("a batch's read-aheads: what ends them", () => {
  const b = () => postgresBackend(units);
  const byName = () =>
    rawStatement<{ name: string; holder: string }>(b(), 'SELECT name, holder FROM leases WHERE name = ?');
  const isBatchAhead = (q: string) => /WITH ORDINALITY/.test(q);
  const isOwnAhead = (q: string) => q.startsWith('SELECT (SELECT coalesce(json_agg(t)');
  /** Runs batches of `units` until one of them read ahead as a batch (its types are learned in the background). */
  async function batched(sent: string[], run: () => Promise<PromiseSettledResult<unknown>[]>) {
    let results: PromiseSettledResult<unknown>[] = [];
    await until(async () => {
      sent.length = 0;
      results = await run();
      return sent.some(isBatchAhead);
    });
    return results;
  }

  it('when a unit asks for reads its batch did not fetch, then it reads ALL of them itself, in one statement', async () => {
    const sent: string[] = [];
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'ahead4', lanes: 1 });
    const declared = () => ({ parts: [byName().ahead(['t15-a'])], seq: true });
    await batched(sent, () =>
      outcomes([
        gc.submit(async () => {
          await readAhead(b(), declared().parts, { seq: true });
          return byName().all('t15-a');
        }, declared),
        // Asks one part more than it declared (a minute turned, say): the batch's rows for the other are not used.
        gc.submit(async () => {
          await readAhead(b(), [byName().ahead(['t15-a']), byName().ahead(['t15-b'])], { seq: true });
        }, declared),
      ]),
    );
    const own = sent.filter(isOwnAhead);
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(/AS r1, nextval/);
    gc.close();
  });

  it('when a unit takes a seq of its own, then the units after it take theirs after it: the chain stays in seq order', async () => {
    const sent: string[] = [];
    const append = createAuditAppender(b(), () => new Date(), 'ahead5');
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'ahead5', lanes: 1 });
    const declared = () => ({ parts: [byName().ahead(['t16'])], seq: true });
    const results = await batched(sent, () =>
      outcomes([
        gc.submit(async () => {
          await readAhead(b(), [byName().ahead(['t16-other'])], { seq: true });
          await append(APPEND);
        }, declared),
        gc.submit(async () => {
          await readAhead(b(), declared().parts, { seq: true });
          await append(APPEND);
        }, declared),
      ]),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const links = await linksOf('ahead5.0');
    expect(links.slice(1).map((l) => l.prev)).toEqual(links.slice(0, -1).map((l) => l.hash));
    gc.close();
  });

  it("when the batch's read-ahead statement fails, then its units read for themselves: only the unit whose read fails is refused", async () => {
    const sent: string[] = [];
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'ahead6', lanes: 1 });
    const inverse = () => rawStatement<{ x: number }>(b(), 'SELECT 10 / (? - 1) AS x');
    const unit = (n: number) => {
      const declared = () => ({ parts: [inverse().ahead([n])], seq: false });
      return gc.submit(async () => {
        await readAhead(b(), declared().parts);
        return (await inverse().all(n))[0]?.x;
      }, declared);
    };
    // The batch statement fails on the unit dividing by zero; learning the types, the units read for themselves.
    let results: PromiseSettledResult<unknown>[] = [];
    let batchTried = false;
    await until(async () => {
      sent.length = 0;
      results = await outcomes([unit(2), unit(1), unit(3)]);
      batchTried = sent.some(isBatchAhead);
      return batchTried;
    });
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : undefined))).toEqual([10, undefined, 5]);
    expect(sent).toContain('ROLLBACK TO SAVEPOINT batch_unit');
    gc.close();
  });
});

describe('counts a batch adds up before its COMMIT', () => {
  it('when units of a batch count uses, then later units see them, a rolled-back unit adds none, and the sum is written', async () => {
    const usage = createUsage(postgresBackend(units));
    const gc = createPgGroupCommit(store.pool, units, { chain: 'tally', lanes: 1 });
    const now = new Date();
    const count = () => usage.of('cu1', 'gr1', 'read', now).then((u) => u.readsLastHour);
    const results = await outcomes([
      gc.submit(() => usage.record('cu1', 'gr1', 'read', now)),
      gc.submit(async () => {
        await usage.record('cu1', 'gr1', 'read', now);
        throw new Error('unit refused');
      }),
      gc.submit(async () => {
        const seen = await count();
        await usage.record('cu1', 'gr1', 'read', now);
        return [seen, await count()];
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<number[]>).value).toEqual([1, 2]);
    expect(await count()).toBe(2); // outside any unit: the committed row
    gc.close();
  });
});

describe('counts of many grants in one batch', () => {
  it('when the units of a batch count uses of several grants, then one statement writes all their sums', async () => {
    const sent: string[] = [];
    const usage = createUsage(postgresBackend(units));
    const gc = createPgGroupCommit(countingPool(sent), units, { chain: 'tally-many', lanes: 1 });
    const now = new Date();
    const grants = ['grm-1', 'grm-2', 'grm-3'];
    await Promise.all([...grants, 'grm-2'].map((g) => gc.submit(() => usage.record('cu-many', g, 'read', now))));
    expect(sent.filter((q) => /INSERT INTO usage_counters/.test(q))).toHaveLength(1);
    const counts = await Promise.all(
      grants.map((g) => usage.of('cu-many', g, 'read', now).then((u) => u.readsLastHour)),
    );
    expect(counts).toEqual([1, 2, 1]);
    // Written again by a later batch: added to, not replaced.
    await gc.submit(() => usage.record('cu-many', 'grm-1', 'read', now));
    expect((await usage.of('cu-many', 'grm-1', 'read', now)).readsLastHour).toBe(2);
    gc.close();
  });
});

describe('counts a batch adds up across the turn of the hour', () => {
  it('when a batch counts uses just before the hour turns, then a read just after it counts them', async () => {
    const usage = createUsage(postgresBackend(units));
    const gc = createPgGroupCommit(store.pool, units, { chain: 'tally-hour', lanes: 1 });
    const before = new Date('2026-03-01T10:59:59.999Z');
    const after = new Date('2026-03-01T11:00:00.001Z');
    const results = await outcomes([
      gc.submit(() => usage.record('cu-h', 'gr-h', 'read', before)),
      gc.submit(() => usage.record('cu-h', 'gr-h', 'read', before)),
      gc.submit(() => usage.of('cu-h', 'gr-h', 'read', after)),
    ]);
    // The last hour's figure is the sliding estimate (the previous hour weighted by what of it is left, rounded down).
    expect((results[2] as PromiseFulfilledResult<unknown>).value).toEqual({ readsLastHour: 1, readsLastDay: 2 });
    expect(await usage.of('cu-h', 'gr-h', 'read', after)).toEqual({ readsLastHour: 1, readsLastDay: 2 });
    gc.close();
  });
});

describe('counts of the other lanes', () => {
  it('when a unit counts uses while another lane has counted one and not yet committed, then it sees that use too', async () => {
    const usage = createUsage(postgresBackend(units));
    const gc = createPgGroupCommit(store.pool, units, { chain: 'tally2', lanes: 2 });
    const now = new Date();
    const count = () => usage.of('cu2', 'gr2', 'read', now).then((u) => u.readsLastHour);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let counted!: () => void;
    const recorded = new Promise<void>((r) => (counted = r));
    // Submitted in one turn, the two units go to the two lanes: the first holds its batch open until the second
    // has counted, so its use is neither committed nor released when the second lane looks. The second looks only
    // once the first has counted (either lane's BEGIN may come back first).
    const [first, second] = await Promise.all([
      gc.submit(async () => {
        await usage.record('cu2', 'gr2', 'read', now);
        counted();
        await gate;
        return units.auditLane()?.lane.chain;
      }),
      gc.submit(async () => {
        await recorded;
        const seen = await count();
        open();
        return [seen, units.auditLane()?.lane.chain];
      }),
    ]);
    expect([first, second[1]]).toEqual(['tally2.0', 'tally2.1']);
    expect(second[0]).toBe(1);
    expect(await count()).toBe(1);
    gc.close();
  });
});

describe('counts of a lane that commits while another lane runs a batch', () => {
  /**
   * Two units in one turn, one to each lane. The second lets the first go (after reading its counters ahead, with
   * `readFirst`); the first counts a use and its batch commits it; only then does the second decide, and answers
   * the uses it counts.
   */
  async function race(customer: string, { readFirst }: { readFirst: boolean }) {
    const b = postgresBackend(units);
    const usage = createUsage(b);
    const gc = createPgGroupCommit(store.pool, units, { chain: `tally-${customer}`, lanes: 2 });
    const now = new Date();
    let go!: () => void;
    const going = new Promise<void>((r) => (go = r));
    const first = gc.submit(async () => {
      await going;
      await usage.record(customer, 'gr', 'read', now);
    });
    const second = gc.submit(async () => {
      if (readFirst) await readAhead(b, [usage.ofAhead(customer, 'gr', 'read', now)]);
      go();
      await first;
      return (await usage.of(customer, 'gr', 'read', now)).readsLastHour;
    });
    try {
      return await second;
    } finally {
      gc.close();
    }
  }

  it('when another lane commits a use after this batch read its counters, then a unit of this batch still counts it', async () => {
    // From memory: the rows it decides on were read before that COMMIT.
    expect(await race('cu3', { readFirst: true })).toBe(1);
  });

  it('when another lane commits a use after this batch began and before it reads its counters, then a unit counts it once', async () => {
    // From the database only: the lane's batch, committed after this one began, must not add it again from memory.
    expect(await race('cu4', { readFirst: false })).toBe(1);
  });
});

describe('the database going away', () => {
  const backendsWaitingOnLock = async () =>
    (
      await cluster.query<{ pid: number }>(
        'pg_unit',
        `SELECT pid FROM pg_stat_activity WHERE application_name = '${APP}' AND wait_event_type = 'Lock'`,
      )
    ).map((r) => r.pid);

  it('when the batch connection is killed mid-batch, then every unit of the batch gets 503 and the next batch commits', async () => {
    // A lock held elsewhere keeps the batch in flight at a known point: its first unit waits on it.
    const holder = new pg.Client({ connectionString: cluster.url('pg_unit') });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE leases IN ACCESS EXCLUSIVE MODE');
    const batch = outcomes(Array.from({ length: 5 }, (_, i) => commit.submit(() => put(`t9-${i}`))));
    await until(async () => (await backendsWaitingOnLock()).length === 1);
    const next = deferred();
    setImmediate(next.resolve); // the next turn: these queue behind the batch in flight
    await next.promise;
    const after = Array.from({ length: 3 }, (_, i) => commit.submit(() => put(`t9-after-${i}`)));

    const [pid] = await backendsWaitingOnLock();
    await cluster.query('postgres', `SELECT pg_terminate_backend(${pid})`);
    const results = await batch;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as ServiceUnavailable;
      expect(reason).toBeInstanceOf(ServiceUnavailable);
      expect(reason.status).toBe(503);
      expect(reason.headers()['retry-after']).toBe('5');
    }
    await holder.query('ROLLBACK');
    await holder.end();
    await Promise.all(after); // the same group commit, on a fresh connection
    expect(await committed('t9-')).toEqual(['t9-after-0', 't9-after-1', 't9-after-2']);
  });

  it('when the server stops under load, then every pending submit gets 503, and after its restart new ones succeed', async () => {
    const answered: string[] = [];
    const refused: unknown[] = [];
    let halted = false;
    let answeredOfLaterSubmits = 0;
    let n = 0;
    const worker = async () => {
      while (!halted || refused.length < 20) {
        const name = `t10-${++n}`;
        const submittedAfterHalt = halted;
        try {
          await commit.submit(() => put(name));
          answered.push(name);
          if (submittedAfterHalt) answeredOfLaterSubmits++;
        } catch (e) {
          refused.push(e);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    await until(() => answered.length >= 40);
    cluster.halt(); // synchronous: the batch in flight now finds its connection gone
    halted = true;
    await load;
    expect(answeredOfLaterSubmits).toBe(0);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    for (const e of refused) expect(e).toBeInstanceOf(ServiceUnavailable);
    await expect(units.inTransaction(() => put('t10-unit-down'))).rejects.toBeInstanceOf(ServiceUnavailable);

    cluster.resume();
    await commit.submit(() => put('t10-back'));
    await units.inTransaction(() => put('t10-unit-back'));
    const rows = new Set(await committed('t10-'));
    for (const name of [...answered, 't10-back', 't10-unit-back']) expect(rows.has(name)).toBe(true);
    expect(rows.has('t10-unit-down')).toBe(false);
  });
});
