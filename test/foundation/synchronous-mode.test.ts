import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault } from '../support/vault.ts';

/**
 * VAULT_SYNCHRONOUS (README "Configuration", SECURITY.md "The audit trail"): the level SQLite really
 * commits with, read back with `PRAGMA synchronous` (0 OFF, 1 NORMAL, 2 FULL) by a trigger on the audit
 * table as the server writes each event, from the first group-commit batch on.
 */
const NORMAL = 1;
const FULL = 2;
const cases: Array<[mode: string, batch: number, rest: number]> = [
  // GROUP: the batch of company reads and deposits commits at NORMAL, then one WAL fsync before any answer;
  // everything else commits at FULL.
  ['GROUP', NORMAL, FULL],
  ['FULL', FULL, FULL],
  ['NORMAL', NORMAL, NORMAL],
];

describe.each(cases)('VAULT_SYNCHRONOUS=%s', (mode, batch, rest) => {
  it(`when the server writes, then company reads and deposits commit at level ${batch} (the first batch too) and other writes at ${rest}`, async () => {
    // Installed before the app is built: a schema change after start-up would re-prepare statements and
    // hide a level that only takes effect when a statement is compiled.
    const v = await startVault({
      env: { VAULT_SYNCHRONOUS: mode },
      beforeApp: (db) =>
        db.$client.exec(`
          CREATE TEMP TABLE seen (action TEXT, level INTEGER);
          CREATE TEMP TRIGGER seen_level AFTER INSERT ON main.audit_events BEGIN
            INSERT INTO seen SELECT json_extract(NEW.body, '$.action'), synchronous FROM pragma_synchronous;
          END;`),
    });
    try {
      const sqlite = v.ctx.db.$client;
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(rest);

      const alice = await new Customer(v.url).signUp(uniqueEmail());
      await alice.call('PATCH', '/api/profile', { street_address: 'Pragma Lane 2' });
      const shop = await registerCompany(v);
      const t = await obtainTokens(v, shop, alice, {
        fields: ['email', 'street_address'],
        actions: ['read', 'deposit'],
      });
      expect((await readData(v, t.access_token, alice.handle, ['email'])).status).toBe(200);
      const deposit = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ category: 'address', content: { note: 'left at the door' } }),
      });
      expect(deposit.status).toBe(201);
      expect((await readData(v, t.access_token, alice.handle, ['email'])).status).toBe(200);
      expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBeLessThan(300);

      const seen = sqlite.prepare('SELECT action, level FROM seen').all() as Array<{ action: string; level: number }>;
      const data = seen.filter((s) => s.action.startsWith('data.'));
      const other = seen.filter((s) => !s.action.startsWith('data.'));
      expect(data.map((s) => s.action)).toEqual(['data.read', 'data.deposit', 'data.read']);
      expect(data.map((s) => s.level)).toEqual([batch, batch, batch]);
      expect(other.length).toBeGreaterThan(1);
      expect(new Set(other.map((s) => s.level))).toEqual(new Set([rest]));
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(rest);
    } finally {
      await v.close();
    }
  });
});
