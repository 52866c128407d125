import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeks } from '../../server/customers/key-rotation.ts';
import { Keyring } from '../../server/crypto/keyring.ts';
import type { Customer } from '../support/browser-like.ts';
import type { RegisteredCompany } from '../support/company.ts';
import { recordsScene, type Reader } from '../support/records-scene.ts';
import { rowOf, runSql } from '../support/rows.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

// The records read keeps the records it has opened (server/data/record-tails.ts): the database still decides every
// page, and what was opened goes with the data key that opened it.

let v: RunningVault;
let carol: Customer;
let shopA: RegisteredCompany;
let deposit: (n: number) => Promise<string>;
let read: Reader;

beforeAll(async () => {
  v = await startVault();
  ({ customer: carol, shopA, deposit, read } = await recordsScene(v));
});
afterAll(async () => v.close());

const sealedOf = async (vault: RunningVault, id: string) =>
  (await rowOf<{ sealed: Buffer }>(vault, 'select sealed from records where id = ?', id))!.sealed;
const spoil = (vault: RunningVault, id: string, sealed: Buffer) =>
  runSql(
    vault,
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
    const sealed = await sealedOf(v, id);
    await spoil(v, id, sealed);
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

  it('when the records change after a read, through the vault or around it, then the next read follows them', async () => {
    const x = await deposit(5);
    await read();
    expect((await read()).ids).toContain(x);
    // The read before kept its page's ids (SQLite): a deposit since changes the customer's records version.
    const y = await deposit(6);
    expect((await read()).ids).toEqual(expect.arrayContaining([x, y]));
    // Written straight into the database, as another process would: the version changes all the same.
    await runSql(v, 'update records set hidden_at = ? where id = ?', v.clock.now().toISOString(), x);
    expect((await read()).ids).not.toContain(x);
    await runSql(v, 'delete from records where id = ?', y);
    const after = await read();
    expect(after.ids).not.toContain(y);
    expect(after.ids.length).toBeGreaterThan(0);
  });

  it('when the source renames itself after a read, then the next read carries its new name', async () => {
    const id = await deposit(4);
    const before = await read();
    const source = (r: typeof before) => r.body.records!.find((x) => x.id === id) as unknown as { source: object };
    expect(source(before).source).toEqual({ company: shopA.clientId, name: 'Shop A Boots' });
    // RFC 7592 §2.2: the company sends its registration back with a new client_name.
    const auth = { authorization: `Bearer ${shopA.registrationAccessToken}` };
    const reg = await (await fetch(`${v.url}/register/${shopA.clientId}`, { headers: auth })).json();
    const { registration_access_token: _a, registration_client_uri: _b, client_secret_expires_at: _c, ...rest } = reg;
    const { client_id_issued_at: _d, terms_version: _e, ...metadata } = rest;
    const put = await fetch(`${v.url}/register/${shopA.clientId}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ...metadata, client_name: 'Shop A Hiking' }),
    });
    expect(put.status).toBe(200);
    const after = await read();
    expect(source(after).source).toEqual({ company: shopA.clientId, name: 'Shop A Hiking' });
    expect(
      after.body.records!.every((r) => (r as unknown as { source: { name: string } }).source.name === 'Shop A Hiking'),
    ).toBe(true);
  });

  it("when two customers' pages are read many at once, then each answer is its own page, whole", async () => {
    // Pages are written into reused memory (server/data/page-buffers.ts): none may carry another's bytes.
    const dave = await recordsScene(v, { a: 'Dune Hardware', b: 'Elm Outfitters' });
    const mine = [await deposit(7), await deposit(8)];
    const theirs = [await dave.deposit(1), await dave.deposit(2), await dave.deposit(3)];
    const [carols, daves] = [await read(), await dave.read()];
    expect(carols.ids).toEqual(expect.arrayContaining(mine));
    expect(daves.ids.sort()).toEqual(theirs.sort());
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? dave.read() : read()).then((r) => [i % 2, r] as const)),
    );
    for (const [isDave, r] of answers) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual((isDave ? daves : carols).body);
    }
  });

  it('when the operator keeps none (VAULT_RECORDS_KEPT_MIB=0), then every read opens its records again', async () => {
    const none = await startVault({ env: { VAULT_RECORDS_KEPT_MIB: '0' } });
    try {
      const them = await recordsScene(none);
      const id = await them.deposit(1);
      const first = await them.read();
      expect([first.status, first.ids]).toEqual([200, [id]]);
      await spoil(none, id, await sealedOf(none, id));
      expect((await them.read()).status).toBe(503);
    } finally {
      await none.close();
    }
  });
});
