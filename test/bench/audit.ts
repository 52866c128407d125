/**
 * The audit figures for `npm run bench`: export 1,000,000 events as JSON Lines from a real
 * SQLite file through better-sqlite3 `.iterate()` (what the auditor export does), then verify that
 * file. Targets: export >= 200k events/s in < 150 MB RSS; verify >= 500k events/s.
 * Run alone: `npx tsx test/bench/audit.ts [events]`.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { exportJWK, generateKeyPair } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { GENESIS_HASH, nextLink } from '../../server/audit/chain/chain.ts';
import { signCheckpoint } from '../../server/audit/checkpoints/checkpoint.ts';
import type { AuditEvent, AuditRow } from '../../server/audit/chain/event.ts';
import { endExport, exportEvents, openExportFile } from '../../server/audit/export/export.ts';
import { verifyExport } from '../../server/audit/verify/verify.ts';
import { defaultThreads, PARALLEL_MIN_BYTES } from '../../server/audit/verify/parallel.ts';
import { workerScript } from '../../server/audit/verify/worker-bundle.ts';

const ACTIONS = [
  'data.read',
  'data.read',
  'data.read',
  'data.read',
  'data.deposit',
  'data.denied',
  'grant.approved',
] as const;
const FIELDS = [
  'contact.email',
  'contact.phone',
  'address.postal',
  'preferences.language',
  'purchases.history',
  'identity.birthdate',
];

/** A plausible event: the mix is mostly reads, with the ids and field lists a real one carries. */
export function benchEvent(i: number, startMs = Date.UTC(2025, 0, 1)): Omit<AuditEvent, 'seq'> {
  const action = ACTIONS[i % ACTIONS.length]!;
  const company = `cmp_${(i * 7919) % 5000}`.padEnd(16, '0');
  const deny = action === 'data.denied';
  return {
    time: new Date(startMs + i * 3).toISOString(),
    action,
    actor: { kind: 'company', id: company },
    customerId: `cus_${((i * 104729) % 1_000_000).toString(36).padStart(12, '0')}`,
    companyId: company,
    grantId: `grt_${(i % 250_000).toString(36).padStart(10, '0')}`,
    purpose: i % 3 === 0 ? 'order-fulfilment' : 'loyalty-programme',
    fields: FIELDS.slice(i % 3, (i % 3) + 1 + (i % 4)),
    decision: deny ? 'deny' : 'allow',
    ...(deny
      ? {
          reasons: [{ code: 'criteria.retention', message: 'The company keeps data longer than the customer allows.' }],
        }
      : {}),
    policyVersion: 'sha256:5e2b9c1f0a7d',
    requestId: `req_${i.toString(16).padStart(16, '0')}`,
  };
}

const CREATE = `CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY, time TEXT NOT NULL, action TEXT NOT NULL, actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL, customer_id TEXT, company_id TEXT, grant_id TEXT, decision TEXT,
  body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`;

/** Fills a fresh SQLite file with n chained events (the lead's table layout); returns the head. */
export function generateDatabase(file: string, n: number): { seq: number; hash: string } {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // set-up only: durability is not what is measured here
    db.exec(CREATE);
    const insert = db.prepare(`INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`);
    let prev = GENESIS_HASH;
    const batch = db.transaction((from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) {
        const { event, body, hash } = nextLink(prev, benchEvent(seq), seq);
        insert.run(
          seq,
          event.time,
          event.action,
          event.actor.kind,
          event.actor.id,
          event.customerId ?? null,
          event.companyId ?? null,
          event.grantId ?? null,
          event.decision ?? null,
          body,
          prev,
          hash,
        );
        prev = hash;
      }
    });
    for (let from = 1; from <= n; from += 10_000) batch(from, Math.min(n, from + 9_999));
    return { seq: n, hash: prev };
  } finally {
    db.close();
  }
}

export interface ExportBench {
  file: string;
  jwksFile: string;
  events: number;
  bytes: number;
  seconds: number;
  eventsPerSecond: number;
  /** CPU time the step used (all threads): on a shared machine, wall time alone misleads. */
  cpuSeconds: number;
  /** Highest RSS sampled while exporting, and RSS just before it started, of the exporting process. */
  peakRssMb: number;
  baselineRssMb: number;
  cleanup: () => Promise<void>;
}

export interface VerifyBench {
  ok: boolean;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  cpuSeconds: number;
  threads: number;
  detail: string;
}

export interface BenchOptions {
  /**
   * Default true: generate, export and verify each in a fresh child process, so that one step's
   * leftover heap (or the benches that ran before, in `npm run bench`) does not count in another's
   * time or RSS. False runs in this process (tests).
   */
  isolate?: boolean;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const cpuOf = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1e4) / 100;

/** Runs this file in a child with tsx's loader and returns the one message it sends back. */
function inChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), args, {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answer: { value: T } | undefined;
    child.on('message', (m) => (answer = { value: m as T }));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 && answer
        ? resolve(answer.value)
        : reject(new Error(`bench child ${args[0]} exited with code ${code}`)),
    );
  });
}

type ExportFigures = Omit<ExportBench, 'file' | 'jwksFile' | 'cleanup'>;

/** Signs a checkpoint at the head and exports the whole table to `file`, measuring time and RSS. */
async function exportDatabase(dbFile: string, file: string): Promise<ExportFigures> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA' }] };
  await writeFile(`${file}.jwks.json`, JSON.stringify(jwks));
  // A separate read-only connection, as the real export should use (see export.ts).
  const db = new Database(dbFile, { readonly: true });
  try {
    const head = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as {
      seq: number;
      hash: string;
    };
    const time = new Date().toISOString();
    const jws = await signCheckpoint({ ...head, time }, { key: privateKey, kid: 'bench', alg: 'EdDSA' });
    const rows = db
      .prepare('SELECT seq, body, prev_hash, hash FROM audit_events WHERE seq <= ? ORDER BY seq')
      .iterate(head.seq) as IterableIterator<AuditRow>;
    const out = openExportFile(file);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 5);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let last = 0;
    const summary = await exportEvents(rows, out, {
      format: 'jsonl',
      checkpoint: { ...head, time, jws },
      onProgress: (events) => {
        if (events - last >= 20_000) {
          last = events;
          sample();
        }
      },
    });
    await endExport(out);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpuOf(process.cpuUsage(cpu0));
    clearInterval(timer);
    sample();
    return {
      events: summary.events,
      bytes: (await stat(file)).size,
      seconds,
      cpuSeconds,
      eventsPerSecond: Math.round(summary.events / seconds),
      peakRssMb: mb(peak),
      baselineRssMb: mb(baseline),
    };
  } finally {
    db.close();
  }
}

export async function benchExport(n = 1_000_000, opts: BenchOptions = {}): Promise<ExportBench> {
  const isolate = opts.isolate ?? true;
  const dir = await mkdtemp(join(tmpdir(), 'audit-bench-'));
  const dbFile = join(dir, 'vault.db');
  const file = join(dir, 'export.jsonl');
  if (isolate) await inChild(['--generate', dbFile, String(n)]);
  else generateDatabase(dbFile, n);
  const figures = isolate
    ? await inChild<ExportFigures>(['--export', dbFile, file])
    : await exportDatabase(dbFile, file);
  return { ...figures, file, jwksFile: `${file}.jwks.json`, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function verifyFile(file: string, jwks: JSONWebKeySet): Promise<VerifyBench> {
  // What verifyExport uses: one thread below PARALLEL_MIN_BYTES.
  const threads = (await stat(file)).size >= PARALLEL_MIN_BYTES ? defaultThreads() : 1;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await verifyExport(file, { jwks });
  const seconds = (performance.now() - t0) / 1000;
  return {
    ok: result.ok,
    events: result.events,
    seconds,
    cpuSeconds: cpuOf(process.cpuUsage(cpu0)),
    eventsPerSecond: Math.round(result.events / seconds),
    threads,
    detail: result.ok ? `complete=${result.complete}` : `bad seq ${result.badSeq}: ${result.reason}`,
  };
}

/** Verifies an export file; the JWKS defaults to the `<file>.jwks.json` that benchExport wrote. */
export async function benchVerify(file: string, jwks?: JSONWebKeySet, opts: BenchOptions = {}): Promise<VerifyBench> {
  const keys = jwks ?? (JSON.parse(await readFile(`${file}.jwks.json`, 'utf8')) as JSONWebKeySet);
  // The worker bundle is built once after each change to its sources and then kept on disk
  // (verify/worker-bundle.ts): make sure it is there, so the figure is that of every later verify.
  await workerScript();
  if (opts.isolate ?? true) {
    const keysFile = `${file}.verify-jwks.json`;
    await writeFile(keysFile, JSON.stringify(keys));
    return inChild<VerifyBench>(['--verify', file, keysFile]);
  }
  return verifyFile(file, keys);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000);
  const exp = await benchExport(n);
  try {
    console.log(
      `audit export: ${exp.events} events, ${mb(exp.bytes)} MB in ${exp.seconds.toFixed(2)} s = ${exp.eventsPerSecond} events/s (${exp.cpuSeconds} s CPU), peak RSS ${exp.peakRssMb} MB (baseline ${exp.baselineRssMb} MB)`,
    );
    const ver = await benchVerify(exp.file);
    console.log(
      `audit verify: ${ver.events} events in ${ver.seconds.toFixed(2)} s = ${ver.eventsPerSecond} events/s on ${ver.threads} threads (${ver.cpuSeconds} s CPU; ${ver.ok ? 'ok' : 'FAILED'}, ${ver.detail})`,
    );
  } finally {
    await exp.cleanup();
  }
}

/** The child-process roles of this file (see inChild), and `npx tsx test/bench/audit.ts [events]`. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [role, a, b] = process.argv.slice(2);
  if (role === '--generate') process.send!(generateDatabase(a!, Number(b)));
  else if (role === '--export') process.send!(await exportDatabase(a!, b!));
  else if (role === '--verify')
    process.send!(await verifyFile(a!, JSON.parse(await readFile(b!, 'utf8')) as JSONWebKeySet));
  else await main();
}
