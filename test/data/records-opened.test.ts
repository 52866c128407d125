import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeks } from '../../server/customers/key-rotation.ts';
import { Keyring } from '../../server/crypto/keyring.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { rowOf, runSql } from '../support/rows.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

// The records read keeps the records it has opened (server/data/record-tails.ts): the database still decides every
// page, and what was opened goes with the data key that opened it.

let v: RunningVault;
let carol: Customer;
let deposit: (n: number) => Promise<string>;
let read: () => Promise<{ status: number; ids: string[]; body: { records?: { id: string; content: unknown }[] } }>;

beforeAll(async () => {
  v = await startVault();
  const shopA = await registerCompany(v, { name: 'Shop A Boots' });
  const shopB = await registerCompany(v, { name: 'Shop B Outdoor' });
  carol = await new Customer(v.url).signUp(uniqueEmail('carol'));
  const a = await obtainTokens(v, shopA, carol, { fields: ['purchase_history'], actions: ['deposit'] });
  const b = await obtainTokens(v, shopB, carol, {
    fields: ['email'],
    actions: ['read'],
    records: { categories: ['purchases'], window: 'P12M', sources: 'any' },
  });
  const url = `${v.url}/data/customers/${carol.handle}/records`;
  deposit = async (n) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'purchases',
        content: {
          merchant: 'Shop A',
          items: [{ name: `Tent ${n}`, quantity: 1, price: 120 }],
          total: 120,
          currency: 'EUR',
          time: new Date(v.clock.now().getTime() - n * 86_400_000).toISOString(),
        },
      }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  read = async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${b.access_token}` } });
    const body = (await res.json()) as { records?: { id: string; content: unknown }[] };
    return { status: res.status, ids: (body.records ?? []).map((r) => r.id), body };
  };
});
afterAll(async () => v.close());

const sealedOf = async (id: string) =>
  (await rowOf<{ sealed: Buffer }>(v, 'select sealed from records where id = ?', id))!.sealed;
const spoil = (id: string, sealed: Buffer) =>
  runSql(
    v,
    'update records set sealed = ? where id = ?',
    Buffer.concat([sealed.subarray(0, -1), Buffer.of(sealed.at(-1)! ^ 1)]),
    id,
  );

describe('records a read has opened before', () => {
  it('when a record was read, then the next read gives it again without opening its row, until its data key is rewrapped', async () => {
    const id = await deposit(1);
    const first = await read();
    expect([first.status, first.ids]).toEqual([200, [id]]);
    // A changed byte in the sealed row: opening it again would fail. The next read does not open it.
    const sealed = await sealedOf(id);
    await spoil(id, sealed);
    const second = await read();
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    // A KEK rotation rewraps the customer's data key: what the old one opened is dropped, the row is opened again,
    // and the spoiled row is refused rather than served.
    const settle = async () => void v.ctx.keyring.reloadIfChanged();
    await rotateKeks(v.ctx.backend, new Keyring(v.dataDir), undefined, { settle });
    expect((await read()).status).toBe(503);
    await runSql(v, 'update records set sealed = ? where id = ?', sealed, id);
    expect((await read()).body).toEqual(first.body);
  });

  it('when the customer hides or deletes a record read before, then the next read leaves it out', async () => {
    const [x, y] = [await deposit(2), await deposit(3)];
    expect((await read()).ids).toEqual(expect.arrayContaining([x, y]));
    expect((await carol.call('PUT', `/api/records/${x}/hidden`, { hidden: true })).status).toBe(204);
    expect((await read()).ids).not.toContain(x);
    expect((await carol.call('DELETE', `/api/records/${y}`)).status).toBe(204);
    const after = await read();
    expect(after.ids).not.toContain(y);
    expect(after.ids).not.toContain(x);
    expect(after.ids.length).toBeGreaterThan(0);
  });
});
