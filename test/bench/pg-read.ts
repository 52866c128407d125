import { readdirSync, readFileSync } from 'node:fs';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { freePort } from '../support/free-port.ts';

/**
 * Issue 13, "Speed": the same company read as the SQLite `six` target (six fields, audited, durable), with the
 * vault serving from PostgreSQL. A durable throwaway cluster (fsync and synchronous_commit on, as a read's
 * answer must wait for its audit event's WAL flush), one database, and:
 *
 * - `pgRead1`: one vault server process on it, 50 connections (as every other target);
 * - `pgRead2`: a second server process on the same database and the same VAULT_DATA_DIR (the key files are
 *   shared, README "Storage"), both driven at once by two autocannon runs of 25 connections, one per server:
 *   req/s summed, p50 and p99 the worse of the two, CPU per request over both servers' requests.
 *
 * The first server is seeded exactly as the SQLite read is (run.ts `startReadPath`, over HTTP), so the tokens
 * minted there are read on both servers. `dbCpuUsPerReq`: the whole cluster's CPU (postmaster, backends, WAL
 * writer, exited backends' time) per request, from /proc: the database shares the machine's cores with the
 * servers and the load generator, so it is part of what a request costs here.
 */

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

interface ReadServer extends Server {
  readUrl: string;
  headers: Record<string, string>;
  env: NodeJS.ProcessEnv;
  renew(): Promise<void>;
}

export interface LoadFigures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuUsPerReq?: number;
  loopCpuUsPerReq?: number;
  clientCpuUsPerReq?: number;
  dbCpuUsPerReq?: number;
  non2xx: number;
  errors: number;
}

export interface PgReadDeps<L extends LoadFigures> {
  startReadPath(extraEnv: Record<string, string>): Promise<ReadServer>;
  startServer(env: NodeJS.ProcessEnv): Promise<Server>;
  load(
    url: string,
    pid: number,
    headers: Record<string, string>,
    more: { connections?: number; dbCpuMs?: () => number | undefined },
  ): Promise<L>;
  connections: number;
}

/** CPU (ms) a /proc stat line reports: user + system, plus waited-for children's when `children`. */
function statCpuMs(pid: number, children: boolean): { ppid: number; ms: number } | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return { ppid: Number(f[1]), ms: (ticks * 1000) / 100 }; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** The postmaster listening on `port`: its command line carries `-p <port>`. */
function postmasterPid(port: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('/postgres') && argv.some((a, i) => a === '-p' && argv[i + 1] === port)) return +name;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** The cluster's CPU so far: the postmaster (with its exited children) and its live children. */
function clusterCpuMs(postmaster: number): number | undefined {
  const main = statCpuMs(postmaster, true);
  if (!main) return undefined;
  let ms = main.ms;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || +name === postmaster) continue;
    const s = statCpuMs(+name, false);
    if (s?.ppid === postmaster) ms += s.ms;
  }
  return ms;
}

/** Two loads run at once, one per server, as one figure (see the module comment). */
export function merge<L extends LoadFigures>(a: L, b: L): LoadFigures {
  const n = a.reqPerSec + b.reqPerSec;
  const weighted = (k: 'serverCpuUsPerReq' | 'loopCpuUsPerReq') =>
    a[k] === undefined || b[k] === undefined || n === 0
      ? undefined
      : Math.round((a[k] * a.reqPerSec + b[k] * b.reqPerSec) / n);
  // The client's and the database's CPU are one process (one cluster) measured over the same window by both
  // runs, each dividing the whole by its own requests: their mean over both runs' requests.
  const shared = (k: 'clientCpuUsPerReq' | 'dbCpuUsPerReq') =>
    a[k] === undefined || b[k] === undefined || n === 0
      ? undefined
      : Math.round((a[k] * a.reqPerSec + b[k] * b.reqPerSec) / 2 / n);
  return {
    reqPerSec: n,
    p50Ms: Math.max(a.p50Ms, b.p50Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    serverCpuUsPerReq: weighted('serverCpuUsPerReq'),
    loopCpuUsPerReq: weighted('loopCpuUsPerReq'),
    clientCpuUsPerReq: shared('clientCpuUsPerReq'),
    dbCpuUsPerReq: shared('dbCpuUsPerReq'),
    non2xx: a.non2xx + b.non2xx,
    errors: a.errors + b.errors,
  };
}

/** BENCH_PG_STATEMENTS=1: print the statements one read sends (pg_stat_statements over 20 reads in a row). */
const statements = process.env.BENCH_PG_STATEMENTS === '1';
const READS = 20;

async function statementsPerRead(cluster: PostgresCluster, url: string, headers: Record<string, string>) {
  await cluster.query('vault_bench', 'SELECT pg_stat_statements_reset()');
  for (let i = 0; i < READS; i++) {
    const r = await fetch(url, { headers });
    if (r.status !== 200) throw new Error(`bench PostgreSQL read: ${r.status}`);
  }
  const rows = await cluster.query<{ calls: string; query: string }>(
    'vault_bench',
    "SELECT calls, query FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC",
  );
  const total = rows.reduce((n, r) => n + Number(r.calls), 0);
  console.log(`PostgreSQL statements per read (${READS} reads): ${(total / READS).toFixed(1)}`);
  for (const r of rows)
    console.log(`  ${(Number(r.calls) / READS).toFixed(2).padStart(6)}  ${r.query.replace(/\s+/g, ' ').slice(0, 150)}`);
}

export async function startPgRead<L extends LoadFigures>(deps: PgReadDeps<L>) {
  const cluster = await startPostgres({ durable: true });
  const started: Server[] = [];
  const stop = async () => {
    try {
      for (const s of started.reverse()) await s.stop();
    } finally {
      cluster.stop();
    }
  };
  try {
    const databaseUrl = await cluster.createDatabase('vault_bench');
    if (statements) {
      await cluster.query('postgres', "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
      cluster.halt();
      cluster.resume();
      await cluster.query('vault_bench', 'CREATE EXTENSION pg_stat_statements');
    }
    const postmaster = postmasterPid(new URL(cluster.url()).port);
    const dbCpuMs = () => (postmaster === undefined ? undefined : clusterCpuMs(postmaster));
    const first = await deps.startReadPath({ VAULT_DATABASE_URL: databaseUrl });
    started.push(first);
    // One public name for both, as behind a load balancer: the tokens' issuer is the vault's public URL.
    const second = await deps.startServer({
      ...first.env,
      PORT: String(await freePort()),
      VAULT_PUBLIC_URL: first.url,
    });
    started.push(second);
    const path = first.readUrl.slice(first.url.length);
    const half = Math.max(1, Math.floor(deps.connections / 2));
    // Both servers must answer the read itself, or the figures would measure refusals (a wrong issuer, say).
    for (const url of [first.readUrl, `${second.url}${path}`]) {
      const r = await fetch(url, { headers: first.headers });
      if (r.status !== 200) throw new Error(`bench PostgreSQL read on ${url}: ${r.status} ${await r.text()}`);
    }
    if (statements) await statementsPerRead(cluster, first.readUrl, first.headers);
    // After each load, outside its figures: the dirty pages written and old row versions vacuumed now, not during
    // the next target.
    const settle = async <T>(figures: T): Promise<T> => {
      await cluster.query('vault_bench', 'VACUUM');
      await cluster.query('vault_bench', 'CHECKPOINT');
      return figures;
    };
    return {
      renew: () => first.renew(),
      pgRead1: async () => settle(await deps.load(first.readUrl, first.pid, first.headers, { dbCpuMs })),
      pgRead2: async () => {
        const [a, b] = await Promise.all([
          deps.load(first.readUrl, first.pid, first.headers, { connections: half, dbCpuMs }),
          deps.load(`${second.url}${path}`, second.pid, first.headers, { connections: half, dbCpuMs }),
        ]);
        return settle(merge(a, b) as L);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
