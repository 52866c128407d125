import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

/**
 * A throwaway PostgreSQL cluster for one test file: initdb and pg_ctl from Debian's packages (installed by
 * .ci/test-prerequisites.mjs), a temp dir, a free loopback port, the unix socket inside the temp dir, trust
 * authentication on 127.0.0.1 only. Durability is off (fsync=off): the cluster lives for one test file.
 */
export interface PostgresCluster {
  /** A postgres:// URL for a database of this cluster. */
  url(database?: string): string;
  /** Makes a new, empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one query on a database of this cluster. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(database: string, sql: string): Promise<R[]>;
  /** The server's log so far (with `logStatements`, every statement it ran). */
  log(): string;
  /** The cluster's data directory (its heap files and WAL), for checks that read what reached the disk. */
  dataDir: string;
  /** Stops the server at once (as a crash would), keeping its data: the database "goes away". */
  halt(): void;
  /** Starts a halted server again on the same port and data. */
  resume(): void;
  stop(): void;
}

/** The newest Debian PostgreSQL's bin dir (/usr/lib/postgresql/<version>/bin). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0])
    throw new Error(`no ${root}/*/bin/initdb: run node .ci/test-prerequisites.mjs (installs postgresql)`);
  return join(root, versions[0], 'bin');
}

/**
 * `durable: true` keeps PostgreSQL's defaults (fsync on, synchronous_commit on): for benchmarks whose figures
 * must include the WAL flush at commit. Tests leave it off. `logStatements: true` logs every statement the server
 * runs (`log_statement = all`), for tests of what a request sends.
 */
export async function startPostgres(
  opts: { durable?: boolean; logStatements?: boolean } = {},
): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'vault-pg-'));
  // initdb and postgres refuse to run as root: as root, run them as Debian's `postgres` user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  const port = await freePort();
  const durability = opts.durable ? '' : ' -c fsync=off -c full_page_writes=off';
  const logging = opts.logStatements ? ' -c log_statement=all' : '';
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300${durability}${logging}`;
  const start = () => run('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '30', 'start']);
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth-host=trust', '--auth-local=trust', '-E', 'UTF8', '--no-sync']);
    start();
  } catch (e) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${tail}`);
  }

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async <R extends pg.QueryResultRow>(database: string, sql: string): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    url,
    query,
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    dataDir: data,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await query('postgres', `CREATE DATABASE ${name}`);
      return url(name);
    },
    halt: () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    resume: start,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
