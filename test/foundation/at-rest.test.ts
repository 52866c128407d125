import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptError, open } from '../../server/crypto/aead.ts';
import { Keyring } from '../../server/crypto/keyring.ts';
import { rotateKeks } from '../../server/customers/key-rotation.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

const secrets = {
  given_name: 'Zebulon',
  family_name: 'Quixotebridge',
  street_address: '742 Evergreen Terrace',
  iban: 'BE71096123456769',
  allergies: ['kumquat-pollen'],
};

function dataDirBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir)
      .filter((f) => f.startsWith('vault.db'))
      .map((f) => readFileSync(join(dir, f))),
  );
}

const sealedRow = (customerId: string, field: string) =>
  v.ctx.db.$client
    .prepare('select sealed, version from profile_fields where customer_id = ? and field = ?')
    .get(customerId, field) as { sealed: Buffer; version: number };

describe('the encrypted profile at rest', () => {
  it('when fields are written, then neither the database file nor its WAL contains any plaintext value', async () => {
    const email = uniqueEmail('plaintext-probe');
    const c = await new Customer(v.url).signUp(email);
    expect((await c.call('PATCH', '/api/profile', secrets)).status).toBe(200);
    v.ctx.db.$client.pragma('wal_checkpoint(PASSIVE)');
    const bytes = dataDirBytes(v.dataDir);
    for (const s of [email, ...Object.values(secrets).flat()]) {
      expect(bytes.includes(Buffer.from(String(s))), `plaintext ${s} found`).toBe(false);
    }
    // The probe can find things: the vault handle is public and stored in clear.
    expect(bytes.includes(Buffer.from(c.handle))).toBe(true);
  });

  it("when a ciphertext is copied to another customer's row, then it fails to open", async () => {
    const a = await new Customer(v.url).signUp(uniqueEmail());
    const b = await new Customer(v.url).signUp(uniqueEmail());
    await a.call('PATCH', '/api/profile', { given_name: 'Alice' });
    await b.call('PATCH', '/api/profile', { given_name: 'Bob' });
    const stolen = sealedRow(a.id, 'given_name');
    v.ctx.db.$client
      .prepare('update profile_fields set sealed = ?, version = ? where customer_id = ? and field = ?')
      .run(stolen.sealed, stolen.version, b.id, 'given_name');
    await expect(v.vault.services.profile.readFields(b.id, ['given_name'])).rejects.toThrow(DecryptError);
  });

  it('when a ciphertext is copied to another field of the same customer, then it fails to open', async () => {
    const a = await new Customer(v.url).signUp(uniqueEmail());
    await a.call('PATCH', '/api/profile', { given_name: 'Alice', family_name: 'Smith' });
    const row = sealedRow(a.id, 'given_name');
    v.ctx.db.$client
      .prepare('update profile_fields set sealed = ?, version = ? where customer_id = ? and field = ?')
      .run(row.sealed, row.version, a.id, 'family_name');
    await expect(v.vault.services.profile.readFields(a.id, ['family_name'])).rejects.toThrow(DecryptError);
    expect((await v.vault.services.profile.readFields(a.id, ['given_name'])).given_name!.value).toBe('Alice');
  });

  it('when a field is cleared and set again, then its version keeps counting, so a ciphertext from before the clearing cannot be put back', async () => {
    const a = await new Customer(v.url).signUp(uniqueEmail());
    await a.call('PATCH', '/api/profile', { given_name: 'Before' });
    const old = sealedRow(a.id, 'given_name');
    expect((await a.call('PATCH', '/api/profile', { given_name: null })).status).toBe(200);
    expect((await a.call('GET', '/api/profile')).body.fields.given_name).toBeUndefined();
    expect(sealedRow(a.id, 'given_name').sealed.length).toBe(0); // the ciphertext is gone, the version stays
    await a.call('PATCH', '/api/profile', { given_name: 'After' });
    const now = sealedRow(a.id, 'given_name');
    expect(now.version).toBeGreaterThan(old.version + 1);
    expect((await a.call('GET', '/api/profile')).body.fields.given_name.value).toBe('After');
    v.ctx.db.$client
      .prepare('update profile_fields set sealed = ? where customer_id = ? and field = ?')
      .run(old.sealed, a.id, 'given_name');
    await expect(v.vault.services.profile.readFields(a.id, ['given_name'])).rejects.toThrow(DecryptError);
  });

  it('when one byte of a stored ciphertext is flipped, then reading fails with an error, not garbage', async () => {
    const a = await new Customer(v.url).signUp(uniqueEmail());
    await a.call('PATCH', '/api/profile', { city: 'Antwerp' });
    const row = sealedRow(a.id, 'city');
    const t = Buffer.from(row.sealed);
    t[t.length - 5]! ^= 0x80;
    v.ctx.db.$client
      .prepare('update profile_fields set sealed = ? where customer_id = ? and field = ?')
      .run(t, a.id, 'city');
    await expect(v.vault.services.profile.readFields(a.id, ['city'])).rejects.toThrow(DecryptError);
  });

  it('when the account is deleted, then the data key is gone and the captured rows cannot be opened even with the KEK', async () => {
    const email = uniqueEmail();
    const a = await new Customer(v.url).signUp(email);
    await a.call('PATCH', '/api/profile', { given_name: 'Shredded' });
    const before = v.ctx.db.$client.prepare('select kek_id, wrapped_dek from customers where id = ?').get(a.id) as {
      kek_id: string;
      wrapped_dek: Buffer;
    };
    const captured = sealedRow(a.id, 'given_name'); // what an attacker's old copy of the row would hold
    const del = await a.call('DELETE', '/api/account', { confirm: 'delete my account' });
    expect(del.status).toBe(204);

    expect(v.ctx.db.$client.prepare('select count(*) n from customers where id = ?').get(a.id)).toEqual({ n: 0 });
    expect(v.ctx.db.$client.prepare('select count(*) n from profile_fields where customer_id = ?').get(a.id)).toEqual({
      n: 0,
    });
    // No checkpoint here: the deletion itself must leave no copy behind, in the database file or its WAL.
    const files = dataDirBytes(v.dataDir);
    expect(files.includes(before.wrapped_dek), 'wrapped DEK still on disk').toBe(false);
    expect(files.includes(captured.sealed), 'sealed field still on disk').toBe(false);
    expect(() =>
      v.ctx.keyring.unwrapDek(a.id, { kekId: before.kek_id, wrapped: Buffer.alloc(before.wrapped_dek.length) }),
    ).toThrow(DecryptError);
    // With the KEK but without the DEK, the captured ciphertext stays closed: the KEK itself does not open it.
    const kek = Buffer.from(JSON.parse(readFileSync(join(v.dataDir, 'kek.json'), 'utf8')).keks[0].key, 'base64');
    expect(() => open(kek, captured.sealed, `field|${a.id}|given_name|${captured.version}`)).toThrow(DecryptError);

    expect((await a.call('GET', '/api/profile')).status).toBe(401);
    expect((await new Customer(v.url).signIn(email)).status).toBe(401);
  });

  it('when keys are rotated, then every field still reads and the old KEK is no longer needed', async () => {
    const people = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const c = await new Customer(v.url).signUp(uniqueEmail('rot'));
        await c.call('PATCH', '/api/profile', { given_name: `Person${i}` });
        return c;
      }),
    );
    const oldIds = v.ctx.keyring.kekIds();
    const progress: number[] = [];
    // The running server loads the new KEK before the rewrap starts (instead of waiting for its timer).
    const settle = async () => void v.ctx.keyring.reloadIfChanged();
    const result = await rotateKeks(v.ctx.backend, new Keyring(v.dataDir), (done) => progress.push(done), { settle });
    expect(result.retired.sort()).toEqual(oldIds.sort());
    expect(progress.at(-1)).toBe(result.rewrapped);
    const file = JSON.parse(readFileSync(join(v.dataDir, 'kek.json'), 'utf8'));
    expect(file.keks.map((k: { id: string }) => k.id)).toEqual([result.newKekId]);
    // The running server keeps serving: it reloads the keyring when it meets the new KEK id.
    for (const [i, c] of people.entries()) {
      const r = await c.call('GET', '/api/profile');
      expect(r.status).toBe(200);
      expect(r.body.fields.given_name.value).toBe(`Person${i + 1}`);
    }
    const rows = v.ctx.db.$client.prepare('select distinct kek_id from customers').all() as { kek_id: string }[];
    expect(rows.map((r) => r.kek_id)).toEqual([result.newKekId]);
  });
});
