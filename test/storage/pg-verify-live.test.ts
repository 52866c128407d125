import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditAppender } from '../../server/audit/chain/append.ts';
import { runCli } from '../../server/cli/main.ts';
import { postgresBackend } from '../../server/db/backend.ts';
import { createPgPool, type PgStorePool } from '../../server/db/pg/pool.ts';
import { createPgUnits, type PgUnits } from '../../server/db/pg/unit.ts';
import { registerCompany } from '../support/company.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * `audit verify --live` on PostgreSQL, where several servers append at once, each to its own chain (README
 * "Storage"): an event takes its seq when appended and becomes visible at its unit's COMMIT, so a low seq may appear
 * after higher ones of other chains. The live verify reads the table a page at a time; it must not report a broken
 * link when a chain's events commit between two of its pages. Here "server B" is a second appender on the same
 * database (its own chain, the same code a second server runs), and its commit is scheduled between the pages.
 * A cluster of this file's own.
 */
let cluster: PostgresCluster;
let url: string;
let v: RunningVault;
let other: PgStorePool;
let units: PgUnits;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase('live');
  v = await startVault({ env: { VAULT_DATABASE_URL: url } });
  await registerCompany(v, { name: 'Live Shop' });
  other = createPgPool(url);
  units = createPgUnits(other.pool, other.db);
}, 60_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await other?.close();
  await v?.close();
  cluster?.stop();
});

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  try {
    return { code: await runCli(args), out };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const event = (id: string) => ({ action: 'company.disabled' as const, actor: { kind: 'operator' as const, id } });

describe('verify --live while another chain commits between its pages', () => {
  it('when a chain’s in-flight event and its successor commit between two pages, then the live chain still verifies', async () => {
    process.env.VAULT_DATA_DIR = v.dataDir;
    process.env.VAULT_DATABASE_URL = url;
    process.env.LOG_LEVEL = 'silent';
    expect((await run('audit', 'checkpoint')).code).toBe(0);

    const backend = postgresBackend(units);
    const onB = createAuditAppender(backend, () => new Date(), 'server-b');
    const onC = createAuditAppender(backend, () => new Date(), 'server-c');
    // Server B's unit takes its seq and stays open (its batch waits for the WAL flush, say).
    let commitB!: () => void;
    const held = new Promise<void>((r) => (commitB = r));
    const unitB = units.inTransaction(async () => {
      await onB(event('b-1'));
      await held;
    });
    // Wait until B's event holds its seq: server C's events then take the seqs after it.
    for (;;) {
      const [row] = await cluster.query<{ n: number }>('live', 'SELECT last_value::int AS n FROM audit_events_seq');
      if (row!.n > 0 && (await cluster.query('live', "SELECT 1 FROM pg_locks WHERE locktype = 'advisory'")).length)
        break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // Server C commits more than a page of events (the live verify reads 1000 rows per page).
    await units.inTransaction(async () => {
      for (let i = 0; i < 1100; i++) await onC(event(`c-${i}`));
    });

    // Between the verify's first and second page, B commits its held event and appends the next one.
    const original = pg.Pool.prototype.query;
    let scheduled = false;
    vi.spyOn(pg.Pool.prototype, 'query').mockImplementation(async function (this: pg.Pool, ...args: unknown[]) {
      const q = args[0] as { text?: string; values?: unknown[] } | undefined;
      const values = q?.values ?? [];
      if (!scheduled && q?.text?.includes('LIMIT 1000') && Number(values[values.length - 1]) > 0) {
        scheduled = true;
        commitB();
        await unitB;
        await units.inTransaction(async () => void (await onB(event('b-2'))));
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof pg.Pool.prototype.query);

    const r = await run('audit', 'verify', '--live');
    vi.mocked(pg.Pool.prototype.query).mockRestore();
    expect(scheduled).toBe(true);
    expect(r.out).toMatch(/^OK: /);
    expect(r.code).toBe(0);
    // Once B's events are all visible, the whole table verifies too.
    const again = await run('audit', 'verify', '--live');
    expect(again.out).toMatch(/^OK: /);
  }, 120_000);
});
