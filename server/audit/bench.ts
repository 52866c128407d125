/**
 * The audit figures for `npm run bench` (issue 5): export 1,000,000 events as JSON Lines from a real
 * SQLite file through better-sqlite3 `.iterate()` (what the auditor export does), then verify that
 * file. Targets: export >= 200k events/s in < 150 MB RSS; verify >= 500k events/s.
 * Run alone: `npx tsx server/audit/bench.ts [events]`.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { exportJWK, generateKeyPair } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { GENESIS_HASH, nextLink } from './chain.ts';
import { signCheckpoint } from './checkpoint.ts';
import type { AuditRow, NewAuditEvent } from './event.ts';
import { endExport, exportEvents, openExportFile } from './export.ts';
import { verifyExport } from './verify.ts';

const ACTIONS = ['data.read', 'data.read', 'data.read', 'data.read', 'data.deposit', 'data.denied', 'grant.approved'] as const;
const FIELDS = ['contact.email', 'contact.phone', 'address.postal', 'preferences.language', 'purchases.history', 'identity.birthdate'];

/** A plausible event: the mix is mostly reads, with the ids and field lists a real one carries. */
export function benchEvent(i: number, startMs = Date.UTC(2025, 0, 1)): NewAuditEvent {
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
    ...(deny ? { reasons: [{ code: 'criteria.retention', message: 'The company keeps data longer than the customer allows.' }] } : {}),
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
        insert.run(seq, event.time, event.action, event.actor.kind, event.actor.id, event.customerId ?? null,
          event.companyId ?? null, event.grantId ?? null, event.decision ?? null, body, prev, hash);
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
  /** Highest RSS sampled while exporting, and RSS just before it started. */
  peakRssMb: number;
  baselineRssMb: number;
  cleanup: () => Promise<void>;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Generates in a child process, so that the heap left over from building a million events does
 * not count in the export's RSS: the figure is the exporter's own.
 */
function generateInChild(file: string, n: number): Promise<{ seq: number; hash: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--generate', file, String(n)], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let head: { seq: number; hash: string } | undefined;
    child.on('message', (m) => (head = m as { seq: number; hash: string }));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && head ? resolve(head) : reject(new Error(`generator exited with code ${code}`))));
  });
}

export interface BenchOptions {
  /** Build the database in a child process (default) rather than in this one. */
  isolate?: boolean;
}

export async function benchExport(n = 1_000_000, opts: BenchOptions = {}): Promise<ExportBench> {
  const dir = await mkdtemp(join(tmpdir(), 'audit-bench-'));
  const dbFile = join(dir, 'vault.db');
  const file = join(dir, 'export.jsonl');
  const jwksFile = `${file}.jwks.json`;
  const head = opts.isolate === false ? generateDatabase(dbFile, n) : await generateInChild(dbFile, n);

  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA' }] };
  await writeFile(jwksFile, JSON.stringify(jwks));
  const time = new Date().toISOString();
  const jws = await signCheckpoint({ ...head, time }, { key: privateKey, kid: 'bench', alg: 'EdDSA' });

  // A separate read-only connection, as the real export should use (see export.ts).
  const db = new Database(dbFile, { readonly: true });
  const rows = db.prepare('SELECT seq, body, prev_hash, hash FROM audit_events WHERE seq <= ? ORDER BY seq').iterate(head.seq) as IterableIterator<AuditRow>;
  const out = openExportFile(file);
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
  const timer = setInterval(sample, 5);
  const t0 = performance.now();
  let last = 0;
  const summary = await exportEvents(rows, out, {
    format: 'jsonl',
    checkpoint: { ...head, time, jws },
    onProgress: (events) => { if (events - last >= 20_000) { last = events; sample(); } },
  });
  await endExport(out);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  sample();
  db.close();
  return {
    file, jwksFile, events: summary.events, bytes: (await stat(file)).size, seconds,
    eventsPerSecond: Math.round(summary.events / seconds), peakRssMb: mb(peak), baselineRssMb: mb(baseline),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface VerifyBench {
  ok: boolean;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  detail: string;
}

/** Verifies an export file; the JWKS defaults to the `<file>.jwks.json` that benchExport wrote. */
export async function benchVerify(file: string, jwks?: JSONWebKeySet): Promise<VerifyBench> {
  const keys = jwks ?? (JSON.parse(await readFile(`${file}.jwks.json`, 'utf8')) as JSONWebKeySet);
  const t0 = performance.now();
  const result = await verifyExport(file, { jwks: keys });
  const seconds = (performance.now() - t0) / 1000;
  return {
    ok: result.ok, events: result.events, seconds, eventsPerSecond: Math.round(result.events / seconds),
    detail: result.ok ? `complete=${result.complete}` : `bad seq ${result.badSeq}: ${result.reason}`,
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000);
  const exp = await benchExport(n);
  try {
    console.log(`audit export: ${exp.events} events, ${mb(exp.bytes)} MB in ${exp.seconds.toFixed(2)} s = ${exp.eventsPerSecond} events/s, peak RSS ${exp.peakRssMb} MB (baseline ${exp.baselineRssMb} MB)`);
    const ver = await benchVerify(exp.file);
    console.log(`audit verify: ${ver.events} events in ${ver.seconds.toFixed(2)} s = ${ver.eventsPerSecond} events/s (${ver.ok ? 'ok' : 'FAILED'}, ${ver.detail})`);
  } finally {
    await exp.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--generate') process.send!(generateDatabase(process.argv[3]!, Number(process.argv[4])));
  else await main();
}
