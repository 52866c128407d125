import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditQueries } from '../../server/audit/queries.ts';
import { verifyRows } from '../../server/audit/verify/verify.ts';
import { openDatabase } from '../../server/db/connection.ts';
import { sqliteBackend } from '../../server/db/backend.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let pristine: string;

beforeAll(async () => {
  v = await startVault();
  const shop = await registerCompany(v);
  const c = await new Customer(v.url).signUp(uniqueEmail());
  await c.call('PATCH', '/api/profile', { phone: '+32 470 10 20 30' });
  const t = await obtainTokens(v, shop, c);
  for (let i = 0; i < 5; i++) await readData(v, t.access_token, c.handle);
  v.ctx.db.$client.pragma('wal_checkpoint(TRUNCATE)');
  pristine = join(v.dataDir, 'pristine.db');
  await v.ctx.db.$client.backup(pristine);
});
afterAll(async () => v.close());

/** An attacker with the database file: triggers dropped, one change made, then the auditor verifies. */
function tampered(sql: (db: Database.Database) => void) {
  const file = join(v.dataDir, `t-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(pristine, file);
  const raw = new Database(file);
  raw.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
  sql(raw);
  raw.close();
  const db = openDatabase(file);
  return { rows: createAuditQueries(sqliteBackend(db), file).allRows(), close: () => db.$client.close() };
}

const total = () => (v.ctx.db.$client.prepare('select max(seq) n from audit_events').get() as { n: number }).n;

describe('tampering with the audit table in the database', () => {
  it('when nothing is changed, then the live chain verifies', async () => {
    const t = tampered(() => {});
    expect(await verifyRows(t.rows)).toMatchObject({ ok: true, events: total() });
    t.close();
  });

  it.each([
    [
      'editing an event body',
      (db: Database.Database) =>
        db.prepare('update audit_events set body = replace(body, \'"phone"\', \'"iban"\') where seq = 4').run(),
      4,
    ],
    [
      'editing a hash column to match a forged body',
      (db: Database.Database) =>
        db
          .prepare(
            "update audit_events set body = replace(body, 'allow', 'deny'), hash = 'ab' || substr(hash, 3) where seq = 5",
          )
          .run(),
      5,
    ],
    ['deleting an event', (db: Database.Database) => db.prepare('delete from audit_events where seq = 4').run(), 4],
    [
      'reordering two events',
      (db: Database.Database) => {
        const a = db.prepare('select * from audit_events where seq = 4').get() as Record<string, unknown>;
        const b = db.prepare('select * from audit_events where seq = 5').get() as Record<string, unknown>;
        db.prepare('delete from audit_events where seq in (4, 5)').run();
        const ins = db.prepare(
          'insert into audit_events (seq, time, action, actor_kind, actor_id, customer_id, company_id, grant_id, decision, body, prev_hash, hash) values (@seq, @time, @action, @actor_kind, @actor_id, @customer_id, @company_id, @grant_id, @decision, @body, @prev_hash, @hash)',
        );
        ins.run({ ...b, seq: 4 });
        ins.run({ ...a, seq: 5 });
      },
      4,
    ],
    [
      'inserting an event',
      (db: Database.Database) => {
        db.prepare('update audit_events set seq = seq + 1000 where seq >= 6').run();
        db.prepare('update audit_events set seq = seq - 999 where seq >= 1006').run();
        const five = db.prepare('select * from audit_events where seq = 5').get() as Record<string, unknown>;
        db.prepare(
          'insert into audit_events (seq, time, action, actor_kind, actor_id, body, prev_hash, hash) values (6, @time, @action, @actor_kind, @actor_id, @body, @hash, @hash)',
        ).run(five);
      },
      6,
    ],
  ])('when %s, then verify names the sequence number that breaks', async (_name, change, badSeq) => {
    const t = tampered(change);
    const r = await verifyRows(t.rows);
    t.close();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.badSeq).toBe(badSeq);
  });

  it('when the newest events are cut off, then verify against the signed checkpoint names the first missing one', async () => {
    const cp = await v.vault.services.auditService.checkpoint();
    const t = tampered((db) => db.prepare('delete from audit_events where seq >= ?').run(cp.seq - 1));
    const r = await verifyRows(t.rows, { checkpoint: cp });
    t.close();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.badSeq).toBe(cp.seq - 1);
  });

  it('when the application tries to change or delete an event, then the database refuses', () => {
    expect(() => v.ctx.db.$client.prepare("update audit_events set action = 'x' where seq = 1").run()).toThrow(
      /append-only/,
    );
    expect(() => v.ctx.db.$client.prepare('delete from audit_events where seq = 1').run()).toThrow(/append-only/);
  });
});
