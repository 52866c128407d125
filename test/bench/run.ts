/**
 * `npm run bench`: measures, in one run on this machine, a bare express hello-world (the baseline),
 * the company read path of the real server (verify token, check grant, policy, decrypt, audit append,
 * durable commit) under autocannon at 50 connections, the policy evaluator, and the audit export and
 * verify of 1,000,000 events. Prints figures and ratios and writes bench-results.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { benchEvaluate } from '../../server/policy/bench.ts';
import { benchExport, benchVerify } from '../../server/audit/bench.ts';
import { Customer } from '../support/browser-like.ts';
import { freePort } from '../support/free-port.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import type { RunningVault } from '../support/vault.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const auditEvents = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const connections = 50;
const warmUpSeconds = Math.max(1, Math.min(3, Math.round(seconds / 5)));


async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${url}`);
}

/** CPU time (user + system, ms) the process has used so far, from /proc: less noisy than req/s on a shared machine. */
function cpuMs(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks; USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

async function load(url: string, pid: number, headers: Record<string, string> = {}) {
  // A short unmeasured warm-up first, for every target alike: the first requests of a fresh process run
  // unoptimised code and would otherwise weigh on its p99.
  await autocannon({ url, connections, duration: warmUpSeconds, headers });
  const before = cpuMs(pid);
  const r = await autocannon({ url, connections, duration: seconds, headers });
  const after = cpuMs(pid);
  const serverCpuUsPerReq = before === undefined || after === undefined ? undefined : Math.round(((after - before) * 1000) / r.requests.total);
  return { reqPerSec: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, serverCpuUsPerReq, non2xx: r.non2xx, errors: r.errors };
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function benchHello() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'test/bench/hello-server.mjs')], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  await waitFor(`http://127.0.0.1:${port}/`, child);
  try {
    return await load(`http://127.0.0.1:${port}/`, child.pid!);
  } finally {
    await stop(child);
  }
}

/** The real server as a separate process, set up over HTTP like a company and a customer would. */
async function benchReadPath(synchronous: string, withHealthz = false) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vault-bench-'));
  // The platform's per-grant read budget would stop a load test within seconds; lift it for the bench only.
  const policiesDir = join(dataDir, 'policies');
  cpSync(join(root, 'policies'), policiesDir, { recursive: true });
  const budgets = readFileSync(join(policiesDir, 'budgets.yaml'), 'utf8').replace(/readsPerHour: \d+/g, 'readsPerHour: 100000000').replace(/readsPerDay: \d+/g, 'readsPerDay: 1000000000');
  writeFileSync(join(policiesDir, 'budgets.yaml'), budgets);
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), VAULT_DATA_DIR: dataDir, VAULT_POLICIES_DIR: policiesDir, VAULT_SYNCHRONOUS: synchronous, LOG_LEVEL: 'info', NODE_ENV: 'production' };
  const tsx = join(root, 'node_modules/.bin/tsx');
  // node itself (not the tsx wrapper) so that the measured pid is the server's.
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], { env, stdio: 'ignore', cwd: root });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/healthz`, child);
    const cli = (args: string[]) => JSON.parse(spawnSync(tsx, [join(root, 'server/cli/main.ts'), ...args], { env, encoding: 'utf8' }).stdout);
    const v = { url, vault: { services: { companies: { issueInitialAccessToken: () => cli(['companies', 'token', '--json']) } } } } as unknown as RunningVault;
    const customer = await new Customer(url).signUp(`bench-${Date.now()}@example.test`);
    await customer.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56', street_address: 'Benchmark Lane 1', postal_code: '9000', city: 'Ghent', country: 'BE' });
    const company = await registerCompany(v);
    const tokens = await obtainTokens(v, company, customer, { fields: ['email', 'phone', 'street_address', 'postal_code', 'city', 'country'] });
    // The same server's /healthz goes through express and the common front and does no work: what the
    // read would cost if it went through express (it has its own path, server/data/routes.ts).
    const healthz = withHealthz ? await load(`${url}/healthz`, child.pid!) : undefined;
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const r = await load(`${url}/data/customers/${customer.handle}`, child.pid!, auth);
    // The same read asking for one field: the difference is the per-field decryption.
    const oneField = withHealthz ? await load(`${url}/data/customers/${customer.handle}?fields=phone`, child.pid!, auth) : undefined;
    return { ...r, healthz, oneField };
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, seconds, warmUpSeconds, connections };
  console.log(`consent vault benchmarks (autocannon -c ${connections}, ${seconds}s each after a ${warmUpSeconds}s warm-up; ratios against the baseline measured in this run)\n`);

  const hello = await benchHello();
  const cpu = (r: { serverCpuUsPerReq?: number }) => (r.serverCpuUsPerReq === undefined ? '' : `  server CPU ${r.serverCpuUsPerReq} µs/req`);
  console.log(`baseline  express hello-world           ${hello.reqPerSec} req/s  p99 ${hello.p99Ms} ms${cpu(hello)}`);
  results.hello = hello;
  for (const mode of ['GROUP', 'FULL', 'NORMAL']) {
    const { healthz, oneField, ...read } = await benchReadPath(mode, mode === 'GROUP');
    if (healthz) {
      console.log(`vault     /healthz (express + front)     ${healthz.reqPerSec} req/s  p99 ${healthz.p99Ms} ms  ratio ${(healthz.reqPerSec / hello.reqPerSec).toFixed(3)}${cpu(healthz)}`);
      results.vaultHealthz = healthz;
    }
    const ratio = +(read.reqPerSec / hello.reqPerSec).toFixed(3);
    const cpuRatio = read.serverCpuUsPerReq && hello.serverCpuUsPerReq ? +(hello.serverCpuUsPerReq / read.serverCpuUsPerReq).toFixed(3) : undefined;
    console.log(`read path synchronous=${mode.padEnd(6)} (6 fields) ${read.reqPerSec} req/s  p99 ${read.p99Ms} ms  ratio ${ratio}${cpu(read)}${cpuRatio ? ` (CPU ratio ${cpuRatio})` : ''}  non-2xx ${read.non2xx}${mode === 'GROUP' ? '   (default; target ratio >= 0.5, p99 < 25 ms)' : mode === 'NORMAL' ? '   (reference only: answers before the fsync)' : ''}`);
    results[`readPath${mode}`] = { ...read, ratio, cpuRatio };
    if (oneField) {
      console.log(`          the same, one field (?fields=phone)  ${oneField.reqPerSec} req/s  p99 ${oneField.p99Ms} ms  ratio ${(oneField.reqPerSec / hello.reqPerSec).toFixed(3)}${cpu(oneField)}  non-2xx ${oneField.non2xx}`);
      results[`readPath${mode}OneField`] = { ...oneField, ratio: +(oneField.reqPerSec / hello.reqPerSec).toFixed(3) };
    }
  }

  const policy = benchEvaluate(200_000);
  console.log(`policy    evaluate                       ${(policy.nsPerDecision / 1000).toFixed(2)} µs/decision  (target < 20 µs)`);
  results.policy = policy;

  const exp = await benchExport(auditEvents);
  try {
    console.log(`audit     export ${exp.events} events (JSONL)  ${exp.eventsPerSecond} events/s  peak RSS ${exp.peakRssMb} MB  (target >= 200k/s, < 150 MB)`);
    const ver = await benchVerify(exp.file);
    console.log(`audit     verify ${ver.events} events          ${ver.eventsPerSecond} events/s  ${ver.ok ? 'ok' : 'FAILED ' + ver.detail}  (target >= 500k/s)`);
    results.auditExport = { events: exp.events, eventsPerSecond: exp.eventsPerSecond, peakRssMb: exp.peakRssMb, bytes: exp.bytes };
    results.auditVerify = ver;
  } finally {
    await exp.cleanup();
  }

  const out = join(root, 'bench-results.json');
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`\nfigures written to ${out}`);
}

await main();
