import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditAppender } from '../../server/audit/chain/append.ts';
import type { AuditRow, NewAuditEvent } from '../../server/audit/chain/event.ts';
import { createCheckpointStore } from '../../server/audit/checkpoints/store.ts';
import { createCompanyActivity, createGrantReadCounts } from '../../server/audit/company-activity.ts';
import { createAuditQueries } from '../../server/audit/queries.ts';
import { verifyRows } from '../../server/audit/verify/verify.ts';
import type { Backend } from '../../server/db/backend.ts';
import { rawStatement } from '../../server/db/raw.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/** The audit module's stores on both dialects (ARCHITECTURE.md, "How to add a storage back end"; "The audit trail"). */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

const T0 = new Date('2026-01-01T00:00:00.000Z');
const read = (customerId: string, companyId: string, fields: string[]): NewAuditEvent => ({
  action: 'data.read',
  actor: { kind: 'company', id: companyId },
  customerId,
  companyId,
  fields,
  decision: 'allow',
});

async function rowsOf(b: Backend): Promise<(AuditRow & { chain: string })[]> {
  return rawStatement<AuditRow & { chain: string }>(
    b,
    'SELECT seq, body, prev_hash, hash, chain FROM audit_events ORDER BY seq',
  ).all();
}

describe.each(DIALECTS)('the audit stores, on %s', (name) => {
  it('when two chains append in turn, then seq grows across the table and each chain links its own events', async () => {
    const b = backends.get(name);
    const main = createAuditAppender(b, () => T0);
    const other = createAuditAppender(b, () => T0, 'server-b');
    await expect(main(read('cu1', 'co1', ['email']))).rejects.toThrow('outside a transaction');
    const a1 = await b.inTransaction(() => main(read('cu1', 'co1', ['email'])));
    const b1 = await b.inTransaction(() => other(read('cu1', 'co2', ['name'])));
    const a2 = await b.inTransaction(() => main(read('cu2', 'co1', ['email', 'name'])));
    expect(a1.seq).toBeLessThan(b1.seq);
    expect(b1.seq).toBeLessThan(a2.seq);
    const rows = await rowsOf(b);
    expect(rows.map((r) => r.chain)).toEqual(['main', 'server-b', 'main']);
    // Each chain's link is its own previous event, not the table's previous row.
    expect(rows[2]!.prev_hash).toBe(rows[0]!.hash);
    expect(rows[1]!.prev_hash).not.toBe(rows[0]!.hash);
    expect(await verifyRows(rows, { multi: true, expectComplete: false })).toMatchObject({ ok: true, events: 3 });
  });

  it('when a unit that appended rolls back, then nothing of it stays and the chain goes on from its head', async () => {
    const b = backends.get(name);
    const main = createAuditAppender(b, () => T0);
    const before = (await rowsOf(b)).length;
    await expect(
      b.inTransaction(async () => {
        await main(read('cu3', 'co1', ['email']));
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await rowsOf(b)).length).toBe(before);
    await b.inTransaction(() => main(read('cu3', 'co1', ['email'])));
    expect(await verifyRows(await rowsOf(b), { multi: true, expectComplete: false })).toMatchObject({ ok: true });
  });

  it("when a customer's data is read and deposited, then the activity counts, times and fields come out alike", async () => {
    const b = backends.get(name);
    let t = Date.parse('2026-02-01T00:00:00.000Z');
    const clock = () => new Date((t += 86_400_000));
    const main = createAuditAppender(b, clock);
    await b.inTransaction(async () => {
      await main({ ...read('act1', 'coA', ['email', 'name']), grantId: 'g1' });
      await main({ ...read('act1', 'coA', ['email']), grantId: 'g1' });
      await main({ ...read('act1', 'coA', ['phone']), grantId: 'g2' });
      await main(read('act2', 'coA', ['address']));
      await main({
        action: 'data.deposit',
        actor: { kind: 'company', id: 'coA' },
        customerId: 'act1',
        companyId: 'coA',
      });
      await main({
        action: 'data.deposit',
        actor: { kind: 'company', id: 'coB' },
        customerId: 'act1',
        companyId: 'coB',
      });
    });
    const activity = createCompanyActivity(b);
    const of = await activity.of('act1', '2026-02-03T00:00:00.000Z');
    expect([...of.keys()].sort()).toEqual(['coA', 'coB']);
    const a = of.get('coA')!;
    expect({ ...a, fieldsRead: [...a.fieldsRead].sort() }).toEqual({
      companyId: 'coA',
      lastReadAt: '2026-02-04T00:00:00.000Z',
      firstReadAt: '2026-02-02T00:00:00.000Z',
      readsSince: 2,
      readsTotal: 3,
      fieldsRead: ['email', 'name', 'phone'],
      recordsDeposited: 1,
    });
    expect(of.get('coB')).toMatchObject({ readsSince: 0, readsTotal: 0, fieldsRead: [], recordsDeposited: 1 });
    expect(await activity.of('nobody', '2026-01-01T00:00:00.000Z')).toEqual(new Map());
    expect(await activity.firstReadAt('act1', 'coA')).toBe('2026-02-02T00:00:00.000Z');
    expect(await activity.firstReadAt('act1', 'coB')).toBeUndefined();
    const readsSince = createGrantReadCounts(b);
    expect(await readsSince('act1', 'g1', '2026-02-03T00:00:00.000Z')).toBe(1);
    expect(await readsSince('act1', 'g1', '2026-01-01T00:00:00.000Z')).toBe(2);
    expect(await readsSince('act1', 'g3', '2026-01-01T00:00:00.000Z')).toBe(0);
  });

  it('when the queries read activity, refusals, pages and heads, then each dialect answers the same rows', async () => {
    const b = backends.get(name);
    const main = createAuditAppender(b, () => T0);
    const e = await b.inTransaction(async () => [
      await main(read('q1', 'coA', ['email'])),
      await main(read('q1', 'coB', ['name'])),
      await main({
        action: 'grant.denied',
        actor: { kind: 'system', id: 'policy' },
        customerId: 'q1',
        companyId: 'coC',
      }),
      await main({ action: 'grant.denied', actor: { kind: 'customer', id: 'q1' }, customerId: 'q1', companyId: 'coD' }),
      await main({
        action: 'grant.approved',
        actor: { kind: 'system', id: 'auto-approve' },
        customerId: 'q1',
        companyId: 'coA',
      }),
      await main({
        action: 'data.denied',
        actor: { kind: 'company', id: 'coB' },
        customerId: 'q1',
        companyId: 'coB',
        reasons: [{ code: 'purpose', message: 'm' }],
      } as NewAuditEvent),
      await main({
        action: 'data.denied',
        actor: { kind: 'company', id: 'coB' },
        customerId: 'q1',
        companyId: 'coB',
        reasons: [{ code: 'purpose', message: 'm' }],
      } as NewAuditEvent),
    ]);
    const q = createAuditQueries(b);
    const seqs = (rows: { seq: number }[]) => rows.map((r) => Number(r.seq));
    expect(seqs(await q.activityOf('q1', 'read', {}, 1e9, 10))).toEqual([e[1]!.seq, e[0]!.seq]);
    expect(seqs(await q.activityOf('q1', 'read', { field: 'name' }, 1e9, 10))).toEqual([e[1]!.seq]);
    expect(seqs(await q.activityOf('q1', 'read', { company: 'coA' }, 1e9, 10))).toEqual([e[0]!.seq]);
    expect(seqs(await q.activityOf('q1', 'refusal', {}, 1e9, 10))).toEqual([e[2]!.seq]);
    expect(seqs(await q.activityOf('q1', 'approval', {}, 1e9, 10))).toEqual([e[4]!.seq]);
    const groups = await q.refusalGroupsOf('q1');
    expect(groups).toHaveLength(1);
    expect({ ...groups[0], lastSeq: Number(groups[0]!.lastSeq) }).toMatchObject({
      companyId: 'coB',
      code: 'purpose',
      count: 2,
      lastSeq: e[6]!.seq,
    });
    expect(JSON.parse(groups[0]!.lastBody).seq).toBe(e[6]!.seq);
    expect((await q.companiesThatAsked('q1')).sort()).toEqual(['coA', 'coC', 'coD']);
    expect(seqs(await q.page({ customer: 'q1', action: 'data.read' }, 1e9, 10))).toEqual([e[1]!.seq, e[0]!.seq]);
    expect(seqs(await q.readsOf('q1', e[1]!.seq, 10))).toEqual([e[0]!.seq]);
    expect(Number((await q.head())!.seq)).toBe(e[6]!.seq);
    expect((await q.heads()).find((h) => h.chain === 'main')).toMatchObject({ hash: (await rowsOf(b)).at(-1)!.hash });
  });

  it("when an export names each chain's head, then it takes each chain only up to its own head", async () => {
    const b = backends.get(name);
    const x = createAuditAppender(b, () => T0, 'ex-x');
    const y = createAuditAppender(b, () => T0, 'ex-y');
    const [x1, y1, x2, y2] = await b.inTransaction(async () => [
      await x(read('ex', 'coA', ['email'])),
      await y(read('ex', 'coA', ['email'])),
      await x(read('ex', 'coA', ['email'])),
      await y(read('ex', 'coA', ['email'])),
    ]);
    const q = createAuditQueries(b, name === 'sqlite' ? backends.sqliteDb!.$client.name : undefined);
    // Chain ex-x signed at x1: x2 (below y2 in global seq) must stay out.
    const heads = [
      { chain: 'ex-x', seq: x1!.seq, hash: '' },
      { chain: 'ex-y', seq: y2!.seq, hash: '' },
    ];
    const { rows, close } = q.exportRows({ customer: 'ex' }, y2!.seq, heads);
    const got: number[] = [];
    try {
      for await (const r of rows) got.push(Number(r.seq));
    } finally {
      close();
    }
    expect(got).toEqual([x1!.seq, y1!.seq, y2!.seq]);
    expect(got).not.toContain(x2!.seq);
    const all: number[] = [];
    for await (const r of q.allRows()) all.push(Number(r.seq));
    expect(all).toEqual((await rowsOf(b)).map((r) => Number(r.seq)));
  });

  it('when checkpoints are inserted twice and listed, then the newest comes first and a duplicate changes nothing', async () => {
    const s = createCheckpointStore(backends.get(name));
    expect(await s.latest()).toBeUndefined();
    await s.insert({ seq: 2, hash: 'h2', time: T0.toISOString(), jws: 'j2' });
    await s.insert({ seq: 5, hash: 'h5', time: T0.toISOString(), jws: 'j5' });
    await s.insert({ seq: 5, hash: 'other', time: T0.toISOString(), jws: 'other' });
    expect(await s.latest()).toEqual({ seq: 5, hash: 'h5', time: T0.toISOString(), jws: 'j5' });
    expect((await s.list(10)).map((c) => c.seq)).toEqual([5, 2]);
    expect(await s.list(1)).toHaveLength(1);
  });
});

describe('the audit appender on postgres', () => {
  it('when two servers append to their own chains in concurrent units, then seq stays unique and every chain verifies', async () => {
    const b = backends.get('postgres');
    const one = createAuditAppender(b, () => T0, 'server-1');
    const two = createAuditAppender(b, () => T0, 'server-2');
    // Two units open at once on two connections, their appends interleaved: each takes seq from the sequence.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const u1 = b.inTransaction(async () => {
      await one(read('cu9', 'co1', ['email']));
      await gate;
      await one(read('cu9', 'co1', ['name']));
    });
    const u2 = b.inTransaction(async () => {
      await two(read('cu9', 'co2', ['email']));
      release();
      await two(read('cu9', 'co2', ['name']));
    });
    await Promise.all([u1, u2]);
    const rows = await rowsOf(b);
    expect(new Set(rows.map((r) => r.seq)).size).toBe(rows.length);
    expect(rows.filter((r) => r.chain === 'server-1')).toHaveLength(2);
    expect(rows.filter((r) => r.chain === 'server-2')).toHaveLength(2);
    expect(await verifyRows(rows, { multi: true, expectComplete: false })).toMatchObject({ ok: true });
  });
});
