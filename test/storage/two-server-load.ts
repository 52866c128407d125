/**
 * Mixed load through several vault servers at once (company reads and deposits, customer revokes and sign-ins),
 * with a client-side record of every answer and when it arrived, for test/storage/two-servers-kill.test.ts.
 * Accounts, the seeded generator and the server processes come from the crash test's load (test/crash/load.ts).
 */
import { performance } from 'node:perf_hooks';
import type { Account } from '../crash/load.ts';

export type Kind = 'read' | 'deposit' | 'revoke' | 'signin';

/** One answer the load got: `sentAt` and `at` (its headers arrived) on this process's monotonic clock. */
export interface Answer {
  kind: Kind;
  server: number;
  grantId?: string;
  status: number;
  requestId: string;
  sentAt: number;
  at: number;
}

export class MixedLedger {
  answers: Answer[] = [];
  /** grant id -> when the first 2xx of its revocation arrived. */
  revokedAt = new Map<string, number>();
  /** Requests with no answer (the server died under them, or refused the connection): they prove nothing. */
  unanswered = 0;
  acks = 0;
  acked = (k?: Kind) => this.answers.filter((a) => a.status < 300 && (!k || a.kind === k));
}

export interface LoadPlan {
  urls: string[];
  accounts: Account[];
  rng: () => number;
  workers: number;
  /** The load ends once this many answers have been acknowledged (2xx)... */
  acks: number;
  /** ...or at this deadline (performance.now()), whichever comes first. */
  deadline: number;
  /** Called once when `acks` reaches `at` (e.g. the SIGKILL of one server); not awaited by the load. */
  midway: { at: number; run: () => void };
  /** Revocations: each grant is revoked by its customer once the ledger holds `at` acknowledgements. */
  revokes: Array<{ account: Account; at: number }>;
}

/** Sends one request to one server; a request that gets no answer (the server is gone) returns undefined. */
async function send(ledger: MixedLedger, kind: Kind, server: number, url: string, init: RequestInit, grantId?: string) {
  const sentAt = performance.now();
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch {
    ledger.unanswered++;
    return undefined;
  }
  const at = performance.now();
  try {
    await res.arrayBuffer();
  } catch {
    ledger.unanswered++; // the body was cut off: not an answer either
    return undefined;
  }
  const answer = {
    kind,
    server,
    grantId,
    status: res.status,
    requestId: res.headers.get('x-request-id') ?? '',
    sentAt,
    at,
  };
  ledger.answers.push(answer);
  if (res.status < 300) ledger.acks++;
  return answer;
}

/** Drives the plan through every server at once until `acks` answers are acknowledged or the deadline passes. */
export async function runMixedLoad(plan: LoadPlan, ledger: MixedLedger): Promise<void> {
  const { urls, accounts, rng } = plan;
  const revoking = new Set<string>();
  const pending = [...plan.revokes].sort((x, y) => x.at - y.at);
  let midwayDone = false;
  const done = () => ledger.acks >= plan.acks || performance.now() > plan.deadline;
  const pick = () => Math.floor(rng() * urls.length);

  const read = (a: Account, s = pick()) =>
    send(
      ledger,
      'read',
      s,
      `${urls[s]}/data/customers/${a.handle}?fields=email`,
      { headers: { authorization: `Bearer ${a.token}` } },
      a.grantId,
    );
  const deposit = (a: Account, s = pick()) =>
    send(
      ledger,
      'deposit',
      s,
      `${urls[s]}/data/customers/${a.handle}/records`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ category: 'address', content: { note: `note-${Math.floor(rng() * 1e9)}` } }),
      },
      a.grantId,
    );
  const signIn = (a: Account, s = pick()) =>
    send(ledger, 'signin', s, `${urls[s]}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: a.email, password: 'correct horse battery staple' }),
    });
  const revokeOn = (a: Account, s: number) =>
    send(
      ledger,
      'revoke',
      s,
      `${urls[s]}/api/grants/${a.grantId}`,
      { method: 'DELETE', headers: { cookie: a.customer.cookie, 'x-csrf-token': a.customer.csrf } },
      a.grantId,
    );

  /** One revoke sent to one server, while reads of the same grant go to every server until a few after its answer. */
  const revoke = async (a: Account) => {
    revoking.add(a.grantId);
    let settled = false;
    const s = pick();
    const revocation = (async () => {
      // A revoke the dying server never answered has an unknown outcome: send it again to the next server.
      const r = (await revokeOn(a, s)) ?? (await revokeOn(a, (s + 1) % urls.length));
      if (r && r.status < 300) ledger.revokedAt.set(a.grantId, Math.min(r.at, ledger.revokedAt.get(a.grantId) ?? r.at));
      settled = true;
    })();
    const racer = async (server: number) => {
      let after = 0;
      while (after < 3 && performance.now() <= plan.deadline) {
        if (settled) after++;
        await read(a, server);
      }
    };
    await Promise.all([revocation, ...urls.map((_, i) => racer(i))]);
  };

  const worker = async () => {
    while (!done()) {
      if (!midwayDone && ledger.acks >= plan.midway.at) {
        midwayDone = true;
        plan.midway.run();
      }
      const due = pending[0];
      if (due && ledger.acks >= due.at) {
        pending.shift();
        await revoke(due.account);
        continue;
      }
      // Grants being revoked get their reads from the revoke's racers; the rest of the load keeps to live grants,
      // so that refused reads stay under the company's refusal limit.
      const live = accounts.filter((a) => !revoking.has(a.grantId));
      const a = live[Math.floor(rng() * live.length)]!;
      const x = rng();
      await (x < 0.6 ? read(a) : x < 0.9 ? deposit(a) : signIn(a));
    }
  };
  await Promise.all(Array.from({ length: plan.workers }, worker));
}
