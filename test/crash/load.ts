/**
 * Mixed load for the crash test: company reads, deposits and customer profile writes against a vault
 * server process, with a ledger of every answer the load got (an acknowledged write), and the checker
 * that looks for each of them after a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditQueries } from '../../server/audit/queries.ts';
import { verifyRows } from '../../server/audit/verify/verify.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { freePort } from '../support/free-port.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

const root = join(import.meta.dirname, '..', '..');

/** Mulberry32: a small seeded generator, so every run makes the same choices. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Settings shared by every server on the data dir: tokens from the set-up stay valid across restarts. */
export function baseEnv(policiesDir: string): Record<string, string> {
  return {
    VAULT_PUBLIC_URL: 'http://vault.crash.test',
    VAULT_ACCESS_TOKEN_TTL: '3600',
    VAULT_POLICIES_DIR: policiesDir,
  };
}

/** The platform policies with usage budgets high enough for the load (the rest unchanged). */
export function generousPolicies(dir: string): string {
  const out = join(dir, 'policies');
  cpSync(join(root, 'policies'), out, { recursive: true });
  const file = join(out, 'budgets.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8')
      .replace(/readsPerHour: \d+/g, 'readsPerHour: 100000')
      .replace(/readsPerDay: \d+/g, 'readsPerDay: 1000000'),
  );
  return out;
}

export interface Account {
  customer: Customer;
  email: string;
  handle: string;
  token: string;
  grantId: string;
}

/**
 * `companies` companies (one by default) and `n` customers, each customer with a read+deposit grant to every
 * company, made through the in-process server: one Account per grant, customer by customer.
 */
export async function setUpWorld(
  dataDir: string,
  env: Record<string, string>,
  n: number,
  companies = 1,
): Promise<Account[]> {
  const v = await startVault({ dataDir, env });
  try {
    const shops = [];
    for (let c = 0; c < companies; c++) shops.push(await registerCompany(v, { name: `Crash Shop ${c}` }));
    const accounts: Account[] = [];
    for (let i = 0; i < n; i++) {
      const email = uniqueEmail('crash');
      const customer = await new Customer(v.url).signUp(email);
      await customer.call('PATCH', '/api/profile', { phone: '+32 470 00 00 00', street_address: `Crash Street ${i}` });
      for (const shop of shops) {
        const t = await obtainTokens(v, shop, customer, {
          fields: ['email', 'street_address'],
          actions: ['read', 'deposit'],
        });
        accounts.push({ customer, email, handle: customer.handle, token: t.access_token, grantId: t.grant_id });
      }
    }
    return accounts;
  } finally {
    await v.close({ keepData: true });
  }
}

/** A customer client that talks to whichever server is running now, with the same session. */
function as(a: Account, url: string): Customer {
  return Object.assign(new Customer(url), { cookie: a.customer.cookie, csrf: a.customer.csrf, id: a.customer.id });
}

/** What the load was told: every 2xx answer is a write that must survive. */
export class Ledger {
  reads = new Map<string, number>(); // grant id -> acknowledged reads
  deposits = new Map<string, string[]>(); // handle -> acknowledged deposit notes
  phone = new Map<string, { acked: string; after: string[] }>(); // handle -> last acked value, values sent since
  acks = 0;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Starts server/main.ts as its own node process (no tsx wrapper: a SIGKILL must reach the server itself). */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const look = (d: Buffer) => {
      out += d;
      if (out.includes('Consent vault is running')) resolve();
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    void exited.then(() => reject(new Error(`the server exited before it was ready:\n${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

type Op = (a: Account) => Promise<boolean>;

/**
 * Runs `workers` concurrent clients choosing operations with `rng` until `stopAfter` answers have been
 * acknowledged, then calls `cut` at once (before any other answer is read) and waits for the clients.
 */
export async function runLoad(
  url: string,
  accounts: Account[],
  ledger: Ledger,
  rng: () => number,
  opts: { workers: number; stopAfter: number; cut: () => void | Promise<void> },
): Promise<void> {
  let stopped = false;
  const busy = new Set<string>();
  const ack = () => {
    if (stopped) return false;
    ledger.acks++;
    if (--opts.stopAfter <= 0) {
      stopped = true;
      opts.cut();
    }
    return true;
  };
  const read: Op = async (a) => {
    const r = await fetch(`${url}/data/customers/${a.handle}?fields=email`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`read answered ${r.status}`);
    if (ack()) ledger.reads.set(a.grantId, (ledger.reads.get(a.grantId) ?? 0) + 1);
    return true;
  };
  const deposit: Op = async (a) => {
    const note = `note-${ledger.acks}-${Math.floor(rng() * 1e9)}`;
    const r = await fetch(`${url}/data/customers/${a.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'address', content: { note } }),
    });
    await r.arrayBuffer();
    if (r.status !== 201) throw new Error(`deposit answered ${r.status}`);
    if (ack()) ledger.deposits.set(a.handle, [...(ledger.deposits.get(a.handle) ?? []), note]);
    return true;
  };
  // One profile writer per customer at a time, so "the last acknowledged value" is well defined.
  const profile: Op = async (a) => {
    if (busy.has(a.handle)) return read(a);
    busy.add(a.handle);
    const value = `+32 470 ${String(Math.floor(rng() * 1e6)).padStart(6, '0')}`;
    const state = ledger.phone.get(a.handle) ?? { acked: '+32 470 00 00 00', after: [] };
    ledger.phone.set(a.handle, state);
    state.after.push(value);
    try {
      const r = await as(a, url).call('PATCH', '/api/profile', { phone: value });
      if (r.status !== 200) throw new Error(`profile write answered ${r.status}`);
      if (ack()) ledger.phone.set(a.handle, { acked: value, after: [] });
      return true;
    } finally {
      busy.delete(a.handle);
    }
  };
  const worker = async () => {
    while (!stopped) {
      const a = accounts[Math.floor(rng() * accounts.length)]!;
      const x = rng();
      try {
        await (x < 0.5 ? read : x < 0.8 ? deposit : profile)(a);
      } catch (e) {
        if (!stopped) throw e; // after the cut, requests in flight fail: their outcome is unknown
      }
    }
  };
  await Promise.all(Array.from({ length: opts.workers }, worker));
}

export interface Findings {
  lostReads: number;
  lostDeposits: string[];
  wrongProfiles: string[];
  chain: string;
}

/** Restarts the vault on the data dir and looks for every acknowledged write; the audit chain must verify. */
export async function check(dataDir: string, env: Record<string, string>, accounts: Account[], ledger: Ledger) {
  const v: RunningVault = await startVault({ dataDir, env });
  try {
    const found: Findings = { lostReads: 0, lostDeposits: [], wrongProfiles: [], chain: '' };
    const readsOf = v.ctx.db.$client.prepare(
      "SELECT count(*) FROM audit_events WHERE json_extract(body, '$.action') = 'data.read' AND json_extract(body, '$.grantId') = ?",
    );
    for (const a of accounts) {
      const c = as(a, v.url);
      const exp = await c.call('GET', '/api/export');
      if (exp.status !== 200) throw new Error(`export answered ${exp.status}`);
      const notes = new Set((exp.body.records as Array<{ content: { note: string } }>).map((r) => r.content.note));
      found.lostDeposits.push(...(ledger.deposits.get(a.handle) ?? []).filter((n) => !notes.has(n)));
      const events = readsOf.pluck().get(a.grantId) as number;
      found.lostReads += Math.max(0, (ledger.reads.get(a.grantId) ?? 0) - events);
      const phone = (await c.call('GET', '/api/profile')).body.fields?.phone?.value;
      const want = ledger.phone.get(a.handle);
      if (want && phone !== want.acked && !want.after.includes(phone))
        found.wrongProfiles.push(`${a.handle}: ${phone}, acknowledged ${want.acked}`);
    }
    const verdict = await verifyRows(createAuditQueries(v.ctx.backend, v.ctx.db.$client.name).allRows());
    found.chain = verdict.ok
      ? verdict.complete
        ? 'ok'
        : 'incomplete'
      : `broken at seq ${verdict.badSeq}: ${verdict.reason}`;
    return found;
  } finally {
    await v.close({ keepData: true });
  }
}
