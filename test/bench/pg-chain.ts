/**
 * `npm run bench:pg-chain`: how the audit hash chain can take appends from several vault servers sharing one
 * PostgreSQL (issue 13, "The audited unit on PostgreSQL"). A durable throwaway cluster (fsync and
 * synchronous_commit on), the real chain hash (server/audit/chain/chain.ts), and three designs, each driven by
 * 1 and 2 simulated servers with 50 requests in flight per server:
 *
 * - `global-lock`: one chain; each append is its own transaction that locks the chain head row
 *   (SELECT … FOR UPDATE), inserts, moves the head and commits. The lock is held across the WAL flush.
 * - `global-batched`: one chain; each server gathers the appends that arrive while its previous commit is
 *   flushing and writes them in one transaction under the head lock (group commit per server).
 * - `chain-per-server`: one chain per server, whose head only that server moves; each server batches as
 *   above, and no lock is shared between servers. A checkpoint signs every chain's head together.
 *
 * After each run every chain is re-hashed from the database and the count of rows is compared with the count
 * of acknowledged appends, so a design that loses or breaks links cannot report a figure.
 * Writes figures to stdout and bench-pg-chain.json. Simulated servers share this one Node process; the
 * database, not Node, is what the designs contend on.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { GENESIS_HASH, chainHash, nextLink } from '../../server/audit/chain/chain.ts';
import type { NewAuditEvent } from '../../server/audit/chain/event.ts';
import { startPostgres } from '../support/postgres.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const inFlight = 50;
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const maxBatch = 512;

type Design = 'global-lock' | 'global-batched' | 'chain-per-server';

const SCHEMA = `
  DROP TABLE IF EXISTS audit_bench; DROP TABLE IF EXISTS chain_heads;
  CREATE TABLE audit_bench (chain text NOT NULL, seq bigint NOT NULL, body text NOT NULL, prev_hash text NOT NULL,
    hash text NOT NULL, PRIMARY KEY (chain, seq));
  CREATE TABLE chain_heads (chain text PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL);`;

function event(server: number, n: number): Omit<NewAuditEvent, 'time'> & { time: string } {
  return {
    time: new Date().toISOString(),
    action: 'data.read',
    actor: { kind: 'company', id: `company-${server}` },
    customerId: `customer-${n % 1000}`,
    companyId: `company-${server}`,
    grantId: `grant-${n % 1000}`,
    purpose: 'order-fulfilment',
    fields: ['email', 'phone', 'street_address'],
    decision: 'allow',
    requestId: '00000000-0000-4000-8000-000000000000',
  };
}

const INSERT = `INSERT INTO audit_bench (chain, seq, body, prev_hash, hash)
  SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])`;

/** Links `events` on top of `head` and writes them with the head update, inside the caller's transaction. */
async function writeLinks(
  c: pg.PoolClient,
  chain: string,
  head: { seq: number; hash: string },
  n: number,
  server: number,
) {
  const seqs: number[] = [];
  const bodies: string[] = [];
  const prevs: string[] = [];
  const hashes: string[] = [];
  let { seq, hash } = head;
  for (let i = 0; i < n; i++) {
    const link = nextLink(hash, event(server, seq), seq + 1);
    seqs.push(seq + 1);
    bodies.push(link.body);
    prevs.push(hash);
    hashes.push(link.hash);
    seq += 1;
    hash = link.hash;
  }
  await c.query(INSERT, [chain, seqs, bodies, prevs, hashes]);
  await c.query('UPDATE chain_heads SET seq = $2, hash = $3 WHERE chain = $1', [chain, seq, hash]);
  return { seq, hash };
}

/** One simulated vault server: `append()` resolves once its event is committed. */
function server(pool: pg.Pool, design: Design, index: number) {
  const chain = design === 'chain-per-server' ? `server-${index}` : 'global';
  let head: { seq: number; hash: string } | undefined; // per-server chain only: this server alone moves it
  const waiting: (() => void)[] = [];
  const failing: ((e: unknown) => void)[] = [];
  let flushing = false;

  async function flush() {
    flushing = true;
    while (waiting.length > 0) {
      const ok = waiting.splice(0, maxBatch);
      const bad = failing.splice(0, maxBatch);
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        let from = head;
        if (design === 'global-batched' || !from) {
          const r = await c.query('SELECT seq, hash FROM chain_heads WHERE chain = $1 FOR UPDATE', [chain]);
          from = { seq: Number(r.rows[0].seq), hash: r.rows[0].hash as string };
        }
        const next = await writeLinks(c, chain, from, ok.length, index);
        await c.query('COMMIT');
        // The in-memory head moves only after the commit: a failed batch leaves it where the database has it.
        if (design === 'chain-per-server') head = next;
        for (const r of ok) r();
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        head = undefined;
        for (const r of bad) r(e);
      } finally {
        c.release();
      }
    }
    flushing = false;
  }

  return {
    async append(): Promise<void> {
      if (design === 'global-lock') {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          const r = await c.query('SELECT seq, hash FROM chain_heads WHERE chain = $1 FOR UPDATE', [chain]);
          await writeLinks(c, chain, { seq: Number(r.rows[0].seq), hash: r.rows[0].hash as string }, 1, index);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => {});
          throw e;
        } finally {
          c.release();
        }
        return;
      }
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        failing.push(reject);
        if (!flushing) void flush();
      });
    },
  };
}

/** Re-hashes every chain from the database; returns the number of rows, or throws on the first broken link. */
async function verify(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query('SELECT chain, seq, body, prev_hash, hash FROM audit_bench ORDER BY chain, seq');
  let chain = '';
  let prev = GENESIS_HASH;
  let seq = 0;
  for (const r of rows) {
    if (r.chain !== chain) [chain, prev, seq] = [r.chain as string, GENESIS_HASH, 0];
    if (Number(r.seq) !== seq + 1 || r.prev_hash !== prev || chainHash(prev, r.body as string) !== r.hash)
      throw new Error(`chain ${chain} broken at ${r.seq}`);
    [prev, seq] = [r.hash as string, seq + 1];
  }
  return rows.length;
}

async function run(url: string, design: Design, servers: number) {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  await admin.query(SCHEMA);
  const chains = design === 'chain-per-server' ? Array.from({ length: servers }, (_, i) => `server-${i}`) : ['global'];
  for (const c of chains) await admin.query('INSERT INTO chain_heads VALUES ($1, 0, $2)', [c, GENESIS_HASH]);
  // Each server has its own pool, as separate processes would: 50 connections for per-request transactions,
  // 2 for a batching server (one batch commits while the next is gathered).
  const pools = Array.from(
    { length: servers },
    () => new pg.Pool({ connectionString: url, max: design === 'global-lock' ? inFlight : 2 }),
  );
  const sims = pools.map((p, i) => server(p, design, i));
  let acknowledged = 0;
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    sims.flatMap((s) =>
      Array.from({ length: inFlight }, async () => {
        while (Date.now() < until) {
          const t = performance.now();
          await s.append();
          latencies.push(performance.now() - t);
          acknowledged++;
        }
      }),
    ),
  );
  const stored = await verify(admin);
  if (stored !== acknowledged) throw new Error(`${design}: ${acknowledged} acknowledged but ${stored} stored`);
  await Promise.all([...pools, admin].map((p) => p.end()));
  latencies.sort((a, b) => a - b);
  return {
    design,
    servers,
    appendsPerSec: Math.round(acknowledged / seconds),
    p99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)]! * 10) / 10,
  };
}

const cluster = await startPostgres({ durable: true });
try {
  const url = await cluster.createDatabase('chain_bench');
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (let round = 0; round < rounds; round++)
    for (const design of ['global-lock', 'global-batched', 'chain-per-server'] as const)
      for (const servers of [1, 2]) {
        const r = await run(url, design, servers);
        results.push(r);
        console.log(
          `round ${round + 1}  ${design.padEnd(17)} ${servers} server(s)  ${r.appendsPerSec} appends/s  p99 ${r.p99Ms} ms`,
        );
      }
  // Median of the rounds per (design, servers), and each as a ratio to global-lock with one server.
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = (['global-lock', 'global-batched', 'chain-per-server'] as const).flatMap((design) =>
    [1, 2].map((servers) => {
      const mine = results.filter((r) => r.design === design && r.servers === servers);
      return {
        design,
        servers,
        appendsPerSec: median(mine.map((r) => r.appendsPerSec)),
        p99Ms: median(mine.map((r) => r.p99Ms)),
      };
    }),
  );
  const base = summary[0]!.appendsPerSec;
  console.log('\nmedian of rounds, ratio to global-lock with one server:');
  for (const s of summary)
    console.log(
      `${s.design.padEnd(17)} ${s.servers}  ${s.appendsPerSec} appends/s  ×${(s.appendsPerSec / base).toFixed(2)}  p99 ${s.p99Ms} ms`,
    );
  writeFileSync(
    'bench-pg-chain.json',
    JSON.stringify(
      { seconds, inFlightPerServer: inFlight, rounds, cpus: (await import('node:os')).cpus().length, summary, results },
      null,
      2,
    ),
  );
} finally {
  cluster.stop();
}
