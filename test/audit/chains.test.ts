/**
 * Several audit chains on one database (ARCHITECTURE.md, "The audit trail"): what the PostgreSQL back end will
 * produce with one chain per vault server, made here by two extra appenders beside the server's own (default)
 * chain. The export comes from the real server; each tamper case edits the file as an attacker would and must
 * be caught, on one thread and on the worker path, and named by chain.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditAppender } from '../../server/audit/chain/append.ts';
import { chainHash } from '../../server/audit/chain/chain.ts';
import { createAuditQueries } from '../../server/audit/queries.ts';
import { verifyExport, verifyRows } from '../../server/audit/verify/verify.ts';
import { runCli } from '../../server/cli/main.ts';
import { inTransaction } from '../../server/db/connection.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let auditor: Customer;
let jsonl: string;
let csv: string;
/** seq -> chain, from the table. */
let chainAt: Map<number, string>;

beforeAll(async () => {
  v = await startVault();
  const shop = await registerCompany(v);
  const c = await new Customer(v.url).signUp(uniqueEmail());
  await c.call('PATCH', '/api/profile', { phone: '+32 470 10 20 31' });
  const email = uniqueEmail('auditor');
  await v.vault.services.accounts.createAuditor({ email, password: 'auditor passphrase 1' });
  auditor = new Customer(v.url);
  expect((await auditor.signIn(email, 'auditor passphrase 1')).status).toBe(200);
  const t = await obtainTokens(v, shop, c);
  // Two more servers' chains, interleaving with the server's own reads on one database.
  const now = () => v.ctx.clock.now();
  const servers = ['srv-a', 'srv-b'].map((id) => createAuditAppender(v.ctx.backend, now, id));
  for (let i = 0; i < 6; i++) {
    expect((await readData(v, t.access_token, c.handle)).status).toBe(200);
    for (const append of servers)
      await inTransaction(v.ctx.db, () =>
        append({ action: 'grant.expired', actor: { kind: 'system', id: 'sweep' }, detail: { round: i } }),
      );
  }
  const rows = v.ctx.db.$client.prepare('select seq, chain from audit_events').all() as {
    seq: number;
    chain: string;
  }[];
  chainAt = new Map(rows.map((r) => [r.seq, r.chain]));
  jsonl = await exported('jsonl');
  csv = await exported('csv');
});
afterAll(async () => v.close());

async function exported(format: 'jsonl' | 'csv'): Promise<string> {
  const res = await fetch(`${v.url}/api/audit/export?format=${format}`, { headers: { cookie: auditor.cookie } });
  expect(res.status).toBe(200);
  return res.text();
}

const jwks = async () => (await fetch(`${v.url}/jwks.json`)).json();

/** Verifies a file's text on one thread and through the worker threads; both must say the same. */
async function verifyBoth(text: string, ext: 'jsonl' | 'csv' = 'jsonl') {
  const file = join(v.dataDir, `chains-${Math.random().toString(36).slice(2)}.${ext}`);
  writeFileSync(file, text);
  const keys = await jwks();
  const one = await verifyExport(file, { jwks: keys, threads: 1 });
  const workers = await verifyExport(file, { jwks: keys, threads: 2, parallelMinBytes: 0 });
  expect(workers).toEqual(one);
  return one;
}

interface Line {
  seq: number;
  prev: string;
  hash: string;
  event: string;
}
const parse = (text: string) => {
  const [header, ...rest] = text.trimEnd().split('\n');
  const lines = rest.map((l): Line => {
    const { seq, prev, hash } = JSON.parse(l) as Line;
    return { seq, prev, hash, event: l.slice(l.indexOf('"event":') + 8, -1) };
  });
  return { header: header!, lines };
};
const render = (header: string, lines: Line[]) =>
  [header, ...lines.map((l) => `{"seq":${l.seq},"prev":"${l.prev}","hash":"${l.hash}","event":${l.event}}`)].join(
    '\n',
  ) + '\n';
const seqsOf = (chain: string) => [...chainAt].filter(([, c]) => c === chain).map(([s]) => s);
const inExport = (seq: number) => parse(jsonl).lines.some((l) => l.seq === seq);

describe('several chains on one database', () => {
  it('when two servers append to their own chains beside the default one, then each links its own events', () => {
    const a = seqsOf('srv-a');
    expect(a.length).toBe(6);
    expect(seqsOf('main').length).toBeGreaterThan(6);
    const body = v.ctx.db.$client.prepare('select body, prev_hash from audit_events where seq = ?');
    const first = body.get(a[0]) as { body: string; prev_hash: string };
    expect(first.prev_hash).toBe('0'.repeat(64));
    expect(JSON.parse(first.body).chain).toBe('srv-a');
    const main = body.get(seqsOf('main').at(-1)) as { body: string };
    // The default chain's events name no chain, so they hash as every event written before did.
    expect(JSON.parse(main.body)).not.toHaveProperty('chain');
  });

  it('when the server exports, then the checkpoint signs every head and the file verifies (JSONL and CSV)', async () => {
    const header = JSON.parse(parse(jsonl).header) as { version: number; checkpoint: { chains: unknown[] } };
    expect(header.version).toBe(2);
    expect(header.checkpoint.chains.map((h) => (h as { chain: string }).chain)).toEqual(['main', 'srv-a', 'srv-b']);
    for (const [text, ext] of [
      [jsonl, 'jsonl'],
      [csv, 'csv'],
    ] as const) {
      const r = await verifyBoth(text, ext);
      expect(r).toMatchObject({ ok: true, complete: true, anchored: true });
      expect(r.ok && r.chains?.map((x) => x.chain)).toEqual(['main', 'srv-a', 'srv-b']);
    }
  });

  it('when a filtered export holds several chains, then its events verify as consistent but not as complete', async () => {
    const res = await fetch(`${v.url}/api/audit/export?format=jsonl&action=grant.expired`, {
      headers: { cookie: auditor.cookie },
    });
    const r = await verifyBoth(await res.text());
    expect(r).toMatchObject({ ok: true, events: 12, anchored: false, complete: false });
  });

  it('when the live table holds several chains, then verifyRows checks each against the signed heads', async () => {
    const rows = createAuditQueries(v.ctx.backend, v.ctx.db.$client.name).allRows();
    expect(await verifyRows(rows, { multi: true })).toMatchObject({ ok: true, complete: true });
  });
});

type Tamper = (lines: Line[]) => Line[];
const at = (lines: Line[], seq: number) => lines.findIndex((l) => l.seq === seq);

describe('tampering with a several-chain export is caught and named by chain', () => {
  type Expected = { chain: string; badSeq: number; reason: RegExp; also?: string; headline?: RegExp };
  const cases: [string, () => Tamper, () => Expected][] = [
    [
      'an event of one chain edited',
      () => (ls) =>
        ls.map((l) => (l.seq === seqsOf('srv-b')[2] ? { ...l, event: l.event.replace('"round":2', '"round":7') } : l)),
      () => ({ chain: 'srv-b', badSeq: seqsOf('srv-b')[2]!, reason: /edited/ }),
    ],
    [
      'an event of one chain edited and its hash recomputed',
      () => (ls) =>
        ls.map((l) => {
          if (l.seq !== seqsOf('srv-b')[2]) return l;
          const event = l.event.replace('"round":2', '"round":7');
          return { ...l, event, hash: chainHash(l.prev, event) };
        }),
      () => ({ chain: 'srv-b', badSeq: seqsOf('srv-b')[2]!, reason: /does not link/ }),
    ],
    [
      'an event in the middle of one chain deleted',
      () => (ls) => ls.filter((l) => l.seq !== seqsOf('srv-a')[3]),
      () => ({ chain: 'srv-a', badSeq: seqsOf('srv-a')[2]!, reason: /deleted or moved/ }),
    ],
    [
      'the first event of one chain deleted',
      () => (ls) => ls.filter((l) => l.seq !== seqsOf('srv-b')[0]),
      () => ({ chain: 'srv-b', badSeq: seqsOf('srv-b')[1]!, reason: /genesis/ }),
    ],
    [
      'two events of one chain swapped',
      () => (ls) => {
        const [x, y] = [at(ls, seqsOf('srv-a')[1]!), at(ls, seqsOf('srv-a')[2]!)];
        const out = [...ls];
        out[x] = ls[y]!;
        out[y] = ls[x]!;
        return out;
      },
      // In file order the later event comes first: it does not link to the chain's event before it, and the
      // global order then breaks.
      () => ({ chain: 'srv-a', badSeq: seqsOf('srv-a')[0]!, reason: /does not link/, headline: /reordered/ }),
    ],
    [
      'an event moved to the other chain (relinked there)',
      () => (ls) => {
        const moved = seqsOf('srv-b')[3]!;
        const prevA = ls.filter((l) => chainAt.get(l.seq) === 'srv-a' && l.seq < moved).at(-1)!;
        return ls.map((l) => {
          if (l.seq !== moved) return l;
          const event = l.event.replace('"chain":"srv-b"', '"chain":"srv-a"');
          return { ...l, event, prev: prevA.hash, hash: chainHash(prevA.hash, event) };
        });
      },
      // srv-b breaks where its next event still links to the one taken away; srv-a where its next event
      // does not link to the one slipped in.
      () => ({ chain: 'srv-b', badSeq: seqsOf('srv-b')[2]!, reason: /deleted or moved/, also: 'srv-a' }),
    ],
    [
      'one chain cut short of the head the checkpoint signed',
      () => (ls) => ls.filter((l) => !seqsOf('srv-b').slice(-2).includes(l.seq)),
      () => ({ chain: 'srv-b', badSeq: seqsOf('srv-b').at(-1)!, reason: /cut short/ }),
    ],
    [
      'a chain the checkpoint does not list added',
      () => (ls) => {
        const last = ls.at(-1)!;
        const seq = last.seq + 1;
        const event = last.event
          .replace(/"chain":"[a-z-]+",/, '')
          .replace('"actor":', '"chain":"srv-z","actor":')
          .replace(/"seq":\d+/, `"seq":${seq}`);
        return [...ls, { seq, prev: '0'.repeat(64), hash: chainHash('0'.repeat(64), event), event }];
      },
      () => ({ chain: 'srv-z', badSeq: parse(jsonl).lines.at(-1)!.seq + 1, reason: /does not cover this chain/ }),
    ],
    [
      'a whole chain dropped',
      () => (ls) => ls.filter((l) => chainAt.get(l.seq) !== 'srv-a'),
      () => ({ chain: 'srv-a', badSeq: seqsOf('srv-a').at(-1)!, reason: /dropped/ }),
    ],
  ];

  it.each(cases)('when %s, then verify fails and names the chain and seq', async (_name, tamper, expected) => {
    const { header, lines } = parse(jsonl);
    const want = expected();
    if (want.chain !== 'srv-z') expect(inExport(want.badSeq)).toBe(true);
    const r = await verifyBoth(render(header, tamper()(lines)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const failure = r.failures?.find((f) => f.chain === want.chain);
    expect(failure).toMatchObject({ badSeq: want.badSeq });
    expect(failure?.reason).toMatch(want.reason);
    expect(failure?.reason).toContain(`chain ${want.chain}:`);
    // The untouched chains still verify: only the tampered ones are reported.
    expect(r.failures?.map((f) => f.chain).sort()).toEqual([want.chain, ...(want.also ? [want.also] : [])].sort());
    if (want.headline) expect(r.reason).toMatch(want.headline);
  });

  it('when the header lists other heads than its signature covers, then verify refuses the file', async () => {
    const { header, lines } = parse(jsonl);
    const h = JSON.parse(header) as { checkpoint: { chains: { chain: string }[] } };
    h.checkpoint.chains = h.checkpoint.chains.filter((c) => c.chain !== 'srv-b');
    const r = await verifyBoth(
      render(
        JSON.stringify(h),
        lines.filter((l) => chainAt.get(l.seq) !== 'srv-b'),
      ),
    );
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/differs from the one its signature covers/) });
  });

  it('when a whole chain is dropped from the CSV export, then verify fails for that chain', async () => {
    const rows = csv.split('\r\n');
    const kept = rows.filter((row) => row.startsWith('#export') || !/""chain"":""srv-b""/.test(row));
    expect(kept.length).toBeLessThan(rows.length);
    const r = await verifyBoth(kept.join('\r\n'), 'csv');
    expect(r).toMatchObject({ ok: false, failures: [{ chain: 'srv-b', reason: expect.stringMatching(/dropped/) }] });
  });
});

describe('the CLI on several chains', () => {
  async function cli(...args: string[]) {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((x: string | Uint8Array) => ((stdout += String(x)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const env = { ...process.env };
    process.env.VAULT_DATA_DIR = v.dataDir;
    try {
      return { code: await runCli(args), stdout };
    } finally {
      process.env = env;
      vi.restoreAllMocks();
    }
  }

  it('when an auditor verifies, then one line says how many chains verified, or which chain failed and where', async () => {
    const keys = join(v.dataDir, 'chains-jwks.json');
    writeFileSync(keys, JSON.stringify(await jwks()));
    const good = join(v.dataDir, 'chains-good.jsonl');
    writeFileSync(good, jsonl);
    const ok = await cli('audit', 'verify', good, '--jwks', keys);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: \d+ events \(seq 1\.\.\d+\) in 3 chains \(main, srv-a, srv-b\) verified; complete/);
    const { header, lines } = parse(jsonl);
    const cut = join(v.dataDir, 'chains-cut.jsonl');
    writeFileSync(
      cut,
      render(
        header,
        lines.filter((l) => chainAt.get(l.seq) !== 'srv-a'),
      ),
    );
    const bad = await cli('audit', 'verify', cut, '--jwks', keys);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^FAILED at seq \d+: chain srv-a: no events, but the checkpoint signs its head/);
    const live = await cli('audit', 'verify', '--live');
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/in 3 chains \(main, srv-a, srv-b\) verified/);
  });

  it('when a second chain begins after the latest one-chain checkpoint, then verify --live checks both', async () => {
    const w = await startVault();
    try {
      const main = createAuditAppender(w.ctx.backend, () => w.ctx.clock.now());
      await inTransaction(w.ctx.db, () => main({ action: 'grant.expired', actor: { kind: 'system', id: 'sweep' } }));
      const env = { ...process.env };
      process.env.VAULT_DATA_DIR = w.dataDir;
      try {
        expect(await runCli(['audit', 'checkpoint'])).toBe(0);
      } finally {
        process.env = env;
      }
      const append = createAuditAppender(w.ctx.backend, () => w.ctx.clock.now(), 'srv-a');
      for (let i = 0; i < 2; i++)
        await inTransaction(w.ctx.db, () =>
          append({ action: 'grant.expired', actor: { kind: 'system', id: 'sweep' } }),
        );
      const saved = v;
      v = w;
      try {
        const live = await cli('audit', 'verify', '--live');
        expect(live.stdout).toMatch(/^OK: 3 events \(seq 1\.\.3\) in 2 chains \(main, srv-a\) verified/);
        expect(live.code).toBe(0);
      } finally {
        v = saved;
      }
    } finally {
      await w.close();
    }
  });
});
