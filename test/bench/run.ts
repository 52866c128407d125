/**
 * `npm run bench`: measures, in one run on this machine, a bare express hello-world (the baseline) and
 * the company read path of the real server (verify token, check grant, policy, decrypt, audit append,
 * durable commit) under autocannon at 50 connections, in interleaved rounds (baseline, six-field read,
 * one-field read, claim answer; BENCH_ROUNDS, default 3) so that each ratio compares figures taken minutes apart at
 * most; then the other durability modes, the policy evaluator, and the audit export and verify of
 * 1,000,000 events. Prints figures and ratios and writes bench-results.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { benchEvaluate } from './policy.ts';
import { benchExport, benchVerify } from './audit.ts';
import { Customer } from '../support/browser-like.ts';
import { freePort } from '../support/free-port.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import type { RunningVault } from '../support/vault.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const auditEvents = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const connections = 50;
const warmUpSeconds = Math.max(1, Math.min(3, Math.round(seconds / 5)));
const roundCount = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

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
  const serverCpuUsPerReq =
    before === undefined || after === undefined ? undefined : Math.round(((after - before) * 1000) / r.requests.total);
  return {
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    serverCpuUsPerReq,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

type Load = Awaited<ReturnType<typeof load>>;

interface Target {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startHello(): Promise<Target> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'test/bench/hello-server.mjs')], {
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  await waitFor(`http://127.0.0.1:${port}/`, child);
  return { url: `http://127.0.0.1:${port}/`, pid: child.pid!, stop: () => stop(child) };
}

/** The real server as a separate process, set up over HTTP like a company and a customer would. */
async function startReadPath(
  synchronous: string,
): Promise<
  Target & { readUrl: string; headers: Record<string, string>; claimUrl: string; claimHeaders: Record<string, string> }
> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vault-bench-'));
  // The platform's per-grant read budget would stop a load test within seconds; lift it for the bench only.
  const policiesDir = join(dataDir, 'policies');
  cpSync(join(root, 'policies'), policiesDir, { recursive: true });
  const budgets = readFileSync(join(policiesDir, 'budgets.yaml'), 'utf8')
    .replace(/readsPerHour: \d+/g, 'readsPerHour: 100000000')
    .replace(/readsPerDay: \d+/g, 'readsPerDay: 1000000000');
  writeFileSync(join(policiesDir, 'budgets.yaml'), budgets);
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    VAULT_DATA_DIR: dataDir,
    VAULT_POLICIES_DIR: policiesDir,
    VAULT_SYNCHRONOUS: synchronous,
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  };
  const tsx = join(root, 'node_modules/.bin/tsx');
  // node itself (not the tsx wrapper) so that the measured pid is the server's.
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
    env,
    stdio: 'ignore',
    cwd: root,
  });
  const url = `http://127.0.0.1:${port}`;
  const stopAll = async () => {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${url}/healthz`, child);
    const cli = (args: string[]) =>
      JSON.parse(spawnSync(tsx, [join(root, 'server/cli/main.ts'), ...args], { env, encoding: 'utf8' }).stdout);
    const v = {
      url,
      vault: { services: { companies: { issueInitialAccessToken: () => cli(['companies', 'token', '--json']) } } },
    } as unknown as RunningVault;
    const customer = await new Customer(url).signUp(`bench-${Date.now()}@example.test`);
    await customer.call('PATCH', '/api/profile', {
      phone: '+32 470 12 34 56',
      street_address: 'Benchmark Lane 1',
      postal_code: '9000',
      city: 'Ghent',
      country: 'BE',
      date_of_birth: '1990-05-17',
    });
    const company = await registerCompany(v);
    const tokens = await obtainTokens(v, company, customer, {
      fields: ['email', 'phone', 'street_address', 'postal_code', 'city', 'country'],
    });
    // A claim answer (age_over 18): the same audited unit as a read, plus an EdDSA signature per answer.
    const brewery = await registerCompany(v, { terms: { purposes: ['age-verification'], retentionDays: 30 } });
    const claimTokens = await obtainTokens(v, brewery, customer, {
      authorizationDetails: JSON.stringify([
        {
          type: 'customer_data',
          purpose: 'age-verification',
          claims: [{ name: 'age_over', value: 18 }],
          duration: 'P30D',
        },
      ]),
    });
    return {
      url,
      pid: child.pid!,
      readUrl: `${url}/data/customers/${customer.handle}`,
      headers: { authorization: `Bearer ${tokens.access_token}` },
      claimUrl: `${url}/data/customers/${customer.handle}/claims/age_over`,
      claimHeaders: { authorization: `Bearer ${claimTokens.access_token}` },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const cpu = (r: { serverCpuUsPerReq?: number }) =>
  r.serverCpuUsPerReq === undefined ? '' : `  server CPU ${r.serverCpuUsPerReq} µs/req`;

/**
 * The headline comparison: rounds of baseline, six-field read and one-field read, back to back, so that
 * each read is set against a baseline measured moments before it (the machine's speed drifts between
 * minutes). Each round's ratio uses its own baseline; the medians are the figures to quote.
 */
async function interleaved(results: Record<string, unknown>) {
  const hello = await startHello();
  const vault = await startReadPath('GROUP').catch(async (e) => {
    await hello.stop();
    throw e;
  });
  try {
    const rounds: Array<{ hello: Load; six: Load; one: Load; claim: Load }> = [];
    for (let i = 0; i < roundCount; i++) {
      const h = await load(hello.url, hello.pid);
      const six = await load(vault.readUrl, vault.pid, vault.headers);
      const one = await load(`${vault.readUrl}?fields=phone`, vault.pid, vault.headers);
      const claim = await load(vault.claimUrl, vault.pid, vault.claimHeaders);
      rounds.push({ hello: h, six, one, claim });
      console.log(
        `round ${i + 1}   baseline ${h.reqPerSec} req/s p99 ${h.p99Ms} ms${cpu(h)} | six fields ${six.reqPerSec} req/s p99 ${six.p99Ms} ms ratio ${(six.reqPerSec / h.reqPerSec).toFixed(3)}${cpu(six)} | one field ${one.reqPerSec} req/s p99 ${one.p99Ms} ms ratio ${(one.reqPerSec / h.reqPerSec).toFixed(3)} | claim ${claim.reqPerSec} req/s ratio ${(claim.reqPerSec / h.reqPerSec).toFixed(3)}`,
      );
    }
    const healthz = await load(`${vault.url}/healthz`, vault.pid);
    const summary = (pick: (r: (typeof rounds)[number]) => Load) => {
      const ratios = rounds.map((r) => pick(r).reqPerSec / r.hello.reqPerSec);
      return {
        ratio: +median(ratios).toFixed(3),
        ratios: ratios.map((x) => +x.toFixed(3)),
        p99Ms: median(rounds.map((r) => pick(r).p99Ms)),
        worstP99Ms: Math.max(...rounds.map((r) => pick(r).p99Ms)),
        reqPerSec: median(rounds.map((r) => pick(r).reqPerSec)),
        non2xx: rounds.reduce((n, r) => n + pick(r).non2xx, 0),
      };
    };
    const base = {
      reqPerSec: median(rounds.map((r) => r.hello.reqPerSec)),
      p99Ms: median(rounds.map((r) => r.hello.p99Ms)),
      serverCpuUsPerReq: median(rounds.map((r) => r.hello.serverCpuUsPerReq ?? 0)),
    };
    const six = summary((r) => r.six);
    const one = summary((r) => r.one);
    const claim = summary((r) => r.claim);
    console.log(
      `\nbaseline  express hello-world (median)        ${base.reqPerSec} req/s  p99 ${base.p99Ms} ms${cpu(base)}`,
    );
    console.log(
      `read path GROUP, six fields (median)         ${six.reqPerSec} req/s  p99 ${six.p99Ms} ms (worst ${six.worstP99Ms})  ratio ${six.ratio} (rounds ${six.ratios.join(', ')})  non-2xx ${six.non2xx}   (target ratio >= 0.5, p99 < 25 ms)`,
    );
    console.log(
      `read path GROUP, one field (median)          ${one.reqPerSec} req/s  p99 ${one.p99Ms} ms (worst ${one.worstP99Ms})  ratio ${one.ratio} (rounds ${one.ratios.join(', ')})  non-2xx ${one.non2xx}`,
    );
    console.log(
      `claim answer GROUP, age_over, signed (median) ${claim.reqPerSec} req/s  p99 ${claim.p99Ms} ms (worst ${claim.worstP99Ms})  ratio ${claim.ratio} (rounds ${claim.ratios.join(', ')})  non-2xx ${claim.non2xx}   (target ratio >= 0.45)`,
    );
    console.log(
      `vault     /healthz (express + front)         ${healthz.reqPerSec} req/s  p99 ${healthz.p99Ms} ms  ratio ${(healthz.reqPerSec / base.reqPerSec).toFixed(3)}${cpu(healthz)}`,
    );
    Object.assign(results, {
      rounds,
      hello: base,
      readPathGROUP: six,
      readPathGROUPOneField: one,
      claimAnswerGROUP: claim,
      vaultHealthz: healthz,
    });
    return base;
  } finally {
    await vault.stop();
    await hello.stop();
  }
}

async function main() {
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    node: process.version,
    seconds,
    warmUpSeconds,
    rounds: roundCount,
    connections,
  };
  console.log(
    `consent vault benchmarks (autocannon -c ${connections}, ${seconds}s each after a ${warmUpSeconds}s warm-up, ${roundCount} interleaved rounds; ratios against the baseline measured just before)\n`,
  );

  const base = await interleaved(results);
  // The other durability modes, for reference: one run each, against the median baseline.
  for (const mode of ['FULL', 'NORMAL']) {
    const t = await startReadPath(mode);
    try {
      const read = await load(t.readUrl, t.pid, t.headers);
      const ratio = +(read.reqPerSec / base.reqPerSec).toFixed(3);
      console.log(
        `read path synchronous=${mode.padEnd(6)} (6 fields) ${read.reqPerSec} req/s  p99 ${read.p99Ms} ms  ratio ${ratio}${cpu(read)}  non-2xx ${read.non2xx}${mode === 'NORMAL' ? '   (reference only: answers before the fsync)' : ''}`,
      );
      results[`readPath${mode}`] = { ...read, ratio };
    } finally {
      await t.stop();
    }
  }

  const policy = benchEvaluate(200_000);
  console.log(
    `policy    evaluate                       ${(policy.nsPerDecision / 1000).toFixed(2)} µs/decision  (target < 20 µs)`,
  );
  results.policy = policy;

  const exp = await benchExport(auditEvents);
  try {
    console.log(
      `audit     export ${exp.events} events (JSONL)  ${exp.eventsPerSecond} events/s  peak RSS ${exp.peakRssMb} MB  (target >= 200k/s, < 150 MB)`,
    );
    const ver = await benchVerify(exp.file);
    console.log(
      `audit     verify ${ver.events} events          ${ver.eventsPerSecond} events/s  ${ver.ok ? 'ok' : 'FAILED ' + ver.detail}  (target >= 500k/s)`,
    );
    results.auditExport = {
      events: exp.events,
      eventsPerSecond: exp.eventsPerSecond,
      peakRssMb: exp.peakRssMb,
      bytes: exp.bytes,
    };
    results.auditVerify = ver;
  } finally {
    await exp.cleanup();
  }

  const out = join(root, 'bench-results.json');
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`\nfigures written to ${out}`);
}

await main();
