import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditAppender } from '../../server/audit/chain/append.ts';
import type { AuditRow, NewAuditEvent } from '../../server/audit/chain/event.ts';
import { verifyRows } from '../../server/audit/verify/verify.ts';
import { sqliteBackend, type Backend } from '../../server/db/backend.ts';
import { migrateDatabase, openDatabase, type Db } from '../../server/db/connection.ts';
import { createGroupCommit, type GroupCommit } from '../../server/db/group-commit.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { createUsage } from '../../server/grants/usage.ts';

/**
 * What a SQLite group commit's batch keeps for its units (server/db/unit.ts, SqliteBatch): the usage counts its
 * released units added, written once before the COMMIT, and the audit head they left, which the next unit's append
 * links to without reading it back. A unit, or a savepoint inside one, that is rolled back leaves neither behind.
 * @sqlite-only: the batch state is the SQLite group commit's (PostgreSQL's lanes have theirs, test/storage/pg-unit).
 */
let dir: string;
let db: Db;
let b: Backend;
let gc: GroupCommit;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-batch-'));
  db = openDatabase(join(dir, 'vault.db'));
  migrateDatabase(db);
  b = sqliteBackend(db);
  gc = createGroupCommit(db, `${db.$client.name}-wal`, 'GROUP', { checkpointer: false });
});
afterEach(async () => {
  await gc.close();
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const outcomes = (ps: Promise<unknown>[]) => Promise.allSettled(ps);
const refuse = () => {
  throw new Error('unit refused');
};

describe('usage counts of a SQLite batch', () => {
  it('when units of a batch count uses, then later units see them, rolled-back work adds none, and the sum is written once', async () => {
    const usage = createUsage(b);
    const now = new Date();
    const count = () => usage.of('cu1', 'gr1', 'read', now).then((u) => u.readsLastHour);
    const stored = rawStatement<{ count: number }>(
      b,
      "SELECT count FROM usage_counters WHERE customer_id = 'cu1' AND grant_id = 'gr1'",
    );
    const results = await outcomes([
      gc.submit(() => usage.record('cu1', 'gr1', 'read', now)),
      gc.submit(async () => {
        await usage.record('cu1', 'gr1', 'read', now);
        refuse();
      }),
      gc.submit(async () => {
        const seen = await count();
        // A savepoint inside the unit that counted and was undone takes its count with it.
        await b
          .inTransaction(async () => {
            await usage.record('cu1', 'gr1', 'read', now);
            refuse();
          })
          .catch(() => {});
        await usage.record('cu1', 'gr1', 'read', now);
        // Counted in memory so far: the row is written once, before the COMMIT.
        return [seen, await count(), (await stored.get())?.count ?? 0];
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<number[]>).value).toEqual([1, 2, 0]);
    expect((await stored.get())?.count).toBe(2);
    expect(await count()).toBe(2);
  });

  it('when a batch spans the turn of the hour, then a read after it still counts the uses made before it', async () => {
    const usage = createUsage(b);
    const before = new Date('2026-03-01T10:59:59.999Z');
    const after = new Date('2026-03-01T11:00:00.001Z');
    const results = await outcomes([
      ...[1, 2, 3].map(() => gc.submit(() => usage.record('cu3', 'gr3', 'read', before))),
      gc.submit(() => usage.of('cu3', 'gr3', 'read', after)),
    ]);
    // Not yet written, counted under the previous hour: inside the batch as after its COMMIT (the last hour's figure
    // is the sliding estimate, the previous hour's count weighted by what of it is still within the hour, rounded
    // down).
    expect((results[3] as PromiseFulfilledResult<unknown>).value).toEqual({ readsLastHour: 2, readsLastDay: 3 });
    expect(await usage.of('cu3', 'gr3', 'read', after)).toEqual({ readsLastHour: 2, readsLastDay: 3 });
  });

  it('when writing the counts fails, then no unit of the batch commits or gets its result', async () => {
    const usage = createUsage(b);
    const append = createAuditAppender(b, () => new Date('2026-01-01T00:00:00.000Z'));
    const now = new Date();
    const results = await outcomes([
      gc.submit(async () => {
        await append({ action: 'data.read', actor: { kind: 'company', id: 'co2' }, decision: 'allow' });
        return 'released';
      }),
      gc.submit(async () => {
        await usage.record('cu2', 'gr2', 'read', now);
        // The counters' table is gone by the time the batch writes its sum.
        await rawStatement(b, 'ALTER TABLE usage_counters RENAME TO usage_counters_gone').run();
        return 'released';
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await rawStatement(b, "SELECT name FROM sqlite_master WHERE name = 'usage_counters'").all()).toHaveLength(1);
    expect(await rawStatement(b, 'SELECT seq FROM audit_events').all()).toEqual([]);
  });
});

describe('the audit head of a SQLite batch', () => {
  const read = (customerId: string): NewAuditEvent => ({
    action: 'data.read',
    actor: { kind: 'company', id: 'co1' },
    customerId,
    companyId: 'co1',
    fields: ['email'],
    decision: 'allow',
  });
  const rows = () =>
    rawStatement<AuditRow & { chain: string }>(
      b,
      'SELECT seq, body, prev_hash, hash, chain FROM audit_events ORDER BY seq',
    ).all();

  it('when units of a batch append and some are rolled back, then every kept event links to the one before it', async () => {
    const append = createAuditAppender(b, () => new Date('2026-01-01T00:00:00.000Z'));
    await b.inTransaction(() => append(read('before')));
    const results = await outcomes([
      gc.submit(async () => {
        const event = await append(read('one'));
        // What the next unit links to, kept by the batch instead of read back.
        return { event, kept: b.batchHead?.()?.get()?.seq };
      }),
      gc.submit(async () => {
        await append(read('undone'));
        refuse();
      }),
      gc.submit(async () => {
        await b
          .inTransaction(async () => {
            await append(read('undone inside'));
            refuse();
          })
          .catch(() => {});
        return append(read('two'));
      }),
      gc.submit(() => append(read('three'))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[0] as PromiseFulfilledResult<{ kept: number }>).value.kept).toBe(2);
    const kept = await rows();
    expect(kept.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(kept.map((r) => (JSON.parse(r.body) as { customerId: string }).customerId)).toEqual([
      'before',
      'one',
      'two',
      'three',
    ]);
    for (let i = 1; i < kept.length; i++) expect(kept[i]!.prev_hash).toBe(kept[i - 1]!.hash);
    expect(await verifyRows(kept, { multi: true, expectComplete: false })).toMatchObject({ ok: true, events: 4 });
    // The next batch starts from the committed head.
    await gc.submit(() => append(read('four')));
    expect(await verifyRows(await rows(), { multi: true, expectComplete: false })).toMatchObject({
      ok: true,
      events: 5,
    });
  });
});
