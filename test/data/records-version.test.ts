import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordsScene } from '../support/records-scene.ts';
import { rowOf, runSql } from '../support/rows.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

// @sqlite-only: the customer's records version is SQLite's (server/db/migrations/0024_records_version.sql);
// PostgreSQL asks for every page's ids (test/data/records-opened.test.ts covers both back ends).

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

it('when the records version stands, then a read takes the page of ids it kept, and asks again once it changes', async () => {
  const { customer, deposit, read } = await recordsScene(v);
  const [x, y] = [await deposit(1), await deposit(2)];
  const ids = async () => (await read()).ids.sort();
  // The first read keeps the records it opens, the second the page's ids at the customer's records version.
  await read();
  expect(await ids()).toEqual([x, y].sort());
  // Hidden behind the vault's back with the trigger that sets the version gone: the version stands, so the next read
  // takes the page of ids it kept, without walking the index (and so still gives x: what the trigger is there for).
  await runSql(v, 'DROP TRIGGER records_version_update');
  await runSql(v, 'update records set hidden_at = ? where id = ?', v.clock.now().toISOString(), x);
  expect(await ids()).toEqual([x, y].sort());
  // Once the version changes, the page is asked for again.
  const { id } = (await rowOf<{ id: string }>(v, 'select id from customers where handle = ?', customer.handle))!;
  await runSql(v, 'update customers set records_version = records_version + 1 where id = ?', id);
  expect(await ids()).toEqual([y]);
});
