import type { Customer } from '../support/browser-like.ts';
import { bearerRenewal } from './renew.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import type { RunningVault } from '../support/vault.ts';

const DAY = 86_400_000;

/**
 * Registering blocks this process on the CLI (spawnSync) for seconds, long enough for the server to close the
 * idle keep-alive socket that fetch then reuses ("other side closed"): such a request never reached the
 * server, so one retry is safe.
 */
async function register(v: RunningVault, name: string) {
  try {
    return await registerCompany(v, { name });
  } catch {
    return registerCompany(v, { name });
  }
}

/**
 * The cross-company records read (issue 15), set up over HTTP as the companies would: one shop deposits
 * `count` purchases spread over the last months, another shop granted purchases for the last 12 months from
 * every source reads them in one page: each record opened, its provenance signature carried, the read audited.
 */
export async function recordsReadSetup(v: RunningVault, customer: Customer, count = 50) {
  const shop = await register(v, `Bench Deposit Shop ${Date.now()}`);
  const dep = await obtainTokens(v, shop, customer, { fields: ['purchase_history'], actions: ['deposit'] });
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${v.url}/data/customers/${customer.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dep.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'purchases',
        idempotencyKey: `bench-${i}`,
        content: {
          merchant: 'Bench Deposit Shop',
          items: [{ name: `Item ${i}`, quantity: 1 + (i % 3), price: 9.99 + i }],
          total: (1 + (i % 3)) * (9.99 + i),
          currency: 'EUR',
          time: new Date(Date.now() - (i + 1) * 5 * DAY).toISOString(),
          orderReference: `BENCH-${1000 + i}`,
        },
      }),
    });
    if (res.status !== 201) throw new Error(`deposit ${i} failed: ${res.status} ${await res.text()}`);
  }
  const reader = await register(v, `Bench Reading Shop ${Date.now()}`);
  const read = await obtainTokens(v, reader, customer, {
    fields: ['email'],
    actions: ['read'],
    records: { categories: ['purchases'], window: 'P12M', sources: 'any' },
  });
  const url = `${v.url}/data/customers/${customer.handle}/records?limit=${count}`;
  const headers: Record<string, string> = { authorization: `Bearer ${read.access_token}` };
  const renew = bearerRenewal(v, reader, read.refresh_token, headers);
  // The bench measures the full page: make sure it is one.
  const check = await fetch(url, { headers });
  const body = (await check.json()) as { records?: unknown[] };
  if (check.status !== 200 || body.records?.length !== count)
    throw new Error(`records read set-up: ${check.status}, ${body.records?.length} records`);
  return { url, headers, renew };
}
