import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../server/db/pg/migrate.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { FIELDS, ids, sealedValue, seed } from './pg-driver-seed.ts';
import { nodePostgres, postgresJs, startSeqAt, type Driver } from './pg-driver-unit.ts';

// The bench (test/bench/pg-driver.ts) reports figures for this unit: these checks make sure each driver's unit
// really reads the seeded rows and really writes its audit event, so no driver can win by doing less.
let cluster: PostgresCluster;
let url: string;
const companies = 3;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase('driver_unit');
  await migratePostgres(url);
  await seed(url, 12, companies);
  startSeqAt(0);
});
afterAll(() => cluster?.stop());

// Each case reads its own customers, so the usage counts it checks are its own.
describe.each([
  ['node-postgres', nodePostgres, 'unit', [5, 2]],
  ['postgres.js', postgresJs, 'unit', [7, 3]],
  ['postgres.js pipelined', postgresJs, 'unitPipelined', [8, 9]],
] as const)('the company read unit over %s', (_name, make, kind, [customer, other]) => {
  let driver: Driver;
  let unit: Driver['unit'];
  beforeAll(() => {
    driver = make(url, 2);
    unit = driver[kind]!.bind(driver);
  });
  afterAll(() => driver.end());

  it('when run, then it returns the seeded grant and six sealed fields, and counts the use', async () => {
    const first = await unit(customer, companies);
    const second = await unit(customer, companies);
    expect(first.grant).toMatchObject({
      id: ids.grant(customer),
      customer_id: ids.customer(customer),
      status: 'active',
    });
    const byName = new Map(first.fields.map((f) => [f.field, f]));
    expect([...byName.keys()].sort()).toEqual([...FIELDS].sort());
    for (const f of FIELDS) expect(Buffer.from(byName.get(f)!.sealed)).toEqual(sealedValue(ids.customer(customer), f));
    expect([first.uses, second.uses]).toEqual([1, 2]);
  });

  it('when run, then its audit event is committed with the seq it reported', async () => {
    const r = await unit(other, companies);
    const rows = await cluster.query(
      'driver_unit',
      `SELECT seq, action, customer_id, grant_id, body FROM audit_events WHERE seq = ${r.seq}`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'data.read',
      customer_id: ids.customer(other),
      grant_id: ids.grant(other),
    });
    expect(JSON.parse(rows[0]!.body as string)).toMatchObject({ seq: r.seq, fields: FIELDS });
  });

  it('when the grant alone is looked up, then the seeded grant comes back', async () => {
    expect(await driver.grantOnly(4, companies)).toMatchObject({ id: ids.grant(4) });
  });

  it('when a grant does not exist, then the unit fails and writes no audit event', async () => {
    const before = await cluster.query<{ n: string }>('driver_unit', 'SELECT count(*) AS n FROM audit_events');
    await expect(unit(999, companies)).rejects.toThrow();
    const after = await cluster.query<{ n: string }>('driver_unit', 'SELECT count(*) AS n FROM audit_events');
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});
