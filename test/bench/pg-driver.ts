/**
 * `npm run bench:pg-driver`: node-postgres (`pg`) against postgres.js (`postgres`) on the company read's
 * database work (issue 13: "the driver is chosen for speed and upkeep"). A durable throwaway cluster (fsync
 * and synchronous_commit on), the real tables from the real migrations (server/db/pg/migrate.ts), seeded
 * companies, customers, grants, token families and 200-byte sealed profile fields; then, per driver, with 50
 * requests in flight over a pool of BENCH_POOL connections (default 50):
 *
 * - `unit`: the audited read as one transaction (./pg-driver-unit.ts): grant, token family, usage upsert, six
 *   profile fields, audit insert, commit. Every statement prepared.
 * - `unit-pipelined`: the same unit over postgres.js with its four reads sent at once (pipelining, which
 *   node-postgres does not do), compared with node-postgres's `unit`.
 * - `grant-only`: the grant lookup alone, outside a transaction: the per-statement overhead of each driver.
 *
 * Drivers are interleaved in rounds (BENCH_ROUNDS, default 3; BENCH_SECONDS per run, default 5), alternating
 * which goes first, and each round prints postgres.js's figures as ratios to node-postgres's: the machine is
 * shared and noisy, so ratios within a round are what to read. Client CPU per unit is process.cpuUsage() over
 * the run divided by the units; the database's CPU is not in it. After every unit run the audit rows written
 * are counted against the units acknowledged, so a driver that skips work cannot report a figure.
 * Writes bench-pg-driver.json.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import pg from 'pg';
import { migratePostgres } from '../../server/db/pg/migrate.ts';
import { startPostgres } from '../support/postgres.ts';
import { seed } from './pg-driver-seed.ts';
import { nodePostgres, postgresJs, startSeqAt, type Driver } from './pg-driver-unit.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const poolSize = Number(process.env.BENCH_POOL ?? 50);
const inFlight = 50;
const customers = 10_000;
const companies = 20;

type Workload = 'unit' | 'unit-pipelined' | 'grant-only';
interface Run {
  round: number;
  driver: Driver['name'];
  workload: Workload;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerOp: number;
}

async function auditCount(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query('SELECT count(*) AS n FROM audit_events')).rows[0].n);
  } finally {
    await c.end();
  }
}

async function run(url: string, driver: Driver, workload: Workload, round: number): Promise<Run> {
  const audited = workload !== 'grant-only';
  const before = audited ? await auditCount(url) : 0;
  const op = { unit: driver.unit, 'unit-pipelined': driver.unitPipelined!, 'grant-only': driver.grantOnly }[workload];
  const latencies: number[] = [];
  let next = Math.floor(Math.random() * customers);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        // Customers in turn: concurrent units rarely touch the same usage-counter row, as with many companies.
        const i = next++ % customers;
        const t = performance.now();
        await op(i, companies);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  if (audited) {
    const written = (await auditCount(url)) - before;
    if (written !== latencies.length) throw new Error(`${driver.name}: ${latencies.length} units, ${written} audited`);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.floor(latencies.length * q)]! * 100) / 100;
  return {
    round,
    driver: driver.name,
    workload,
    perSec: Math.round(latencies.length / elapsed),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpuUsPerOp: Math.round((used.user + used.system) / latencies.length),
  };
}

interface Comparison {
  round: number;
  workload: Workload;
  throughput: number;
  p50: number;
  p99: number;
  clientCpu: number;
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cluster = await startPostgres({ durable: true });
try {
  const url = await cluster.createDatabase('driver_bench');
  await migratePostgres(url);
  await seed(url, customers, companies);
  startSeqAt(await auditCount(url));
  const drivers = [nodePostgres(url, poolSize), postgresJs(url, poolSize)];
  // A short warm-up so both pools are full and every statement is prepared on every connection before timing.
  for (const d of drivers)
    await Promise.all(
      Array.from({ length: poolSize * 2 }, async (_, k) => {
        await d.unit(k, companies);
        await d.unitPipelined?.(k + poolSize * 2, companies);
        await d.grantOnly(k, companies);
      }),
    );
  const results: Run[] = [];
  const comparisons: Comparison[] = [];
  const show = (r: Run) =>
    console.log(
      `round ${r.round}  ${r.workload.padEnd(14)} ${r.driver.padEnd(13)} ${String(r.perSec).padStart(6)}/s  ` +
        `p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  client CPU ${r.cpuUsPerOp} µs/${r.workload === 'grant-only' ? 'query' : 'unit'}`,
    );
  const compare = (round: number, workload: Workload, j: Run, p: Run) => {
    const c = {
      round,
      workload,
      throughput: ratio(j.perSec, p.perSec),
      p50: ratio(j.p50Ms, p.p50Ms),
      p99: ratio(j.p99Ms, p.p99Ms),
      clientCpu: ratio(j.cpuUsPerOp, p.cpuUsPerOp),
    };
    comparisons.push(c);
    console.log(
      `round ${round}  ${workload.padEnd(14)} postgres.js / node-postgres: throughput ×${c.throughput}  ` +
        `p50 ×${c.p50}  p99 ×${c.p99}  client CPU ×${c.clientCpu}`,
    );
  };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? drivers : [...drivers].reverse();
    const byDriver = async (workload: Workload) => {
      const mine: Run[] = [];
      for (const d of order) mine.push(await run(url, d, workload, round));
      mine.forEach(show);
      results.push(...mine);
      return [mine.find((r) => r.driver === 'postgres.js')!, mine.find((r) => r.driver === 'node-postgres')!];
    };
    const [jsUnit, pgUnit] = await byDriver('unit');
    compare(round, 'unit', jsUnit!, pgUnit!);
    // node-postgres cannot pipeline: postgres.js's pipelined unit is compared with node-postgres's unit.
    const piped = await run(url, drivers[1]!, 'unit-pipelined', round);
    show(piped);
    results.push(piped);
    compare(round, 'unit-pipelined', piped, pgUnit!);
    const [jsGrant, pgGrant] = await byDriver('grant-only');
    compare(round, 'grant-only', jsGrant!, pgGrant!);
  }
  console.log('\nmedian of the rounds, postgres.js / node-postgres:');
  const summary = (['unit', 'unit-pipelined', 'grant-only'] as const).map((workload) => {
    const mine = comparisons.filter((c) => c.workload === workload);
    const s = {
      workload,
      throughput: median(mine.map((c) => c.throughput)),
      p50: median(mine.map((c) => c.p50)),
      p99: median(mine.map((c) => c.p99)),
      clientCpu: median(mine.map((c) => c.clientCpu)),
    };
    console.log(
      `${workload.padEnd(14)} throughput ×${s.throughput}  p50 ×${s.p50}  p99 ×${s.p99}  client CPU ×${s.clientCpu}`,
    );
    return s;
  });
  await Promise.all(drivers.map((d) => d.end()));
  writeFileSync(
    'bench-pg-driver.json',
    JSON.stringify(
      { seconds, rounds, inFlight, poolSize, customers, companies, cpus: cpus().length, summary, comparisons, results },
      null,
      2,
    ),
  );
} finally {
  cluster.stop();
}
