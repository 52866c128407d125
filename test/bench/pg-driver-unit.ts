/**
 * The company read's database work, written once for each PostgreSQL driver (issue 13: "the driver is chosen
 * for speed and upkeep"), so that `npm run bench:pg-driver` and its test run the very same statements. The
 * stores still speak SQLite, so this is the read path's statements as the PostgreSQL stores will run them
 * (ARCHITECTURE.md, "The audited unit and group commit"): one transaction that selects the grant and the token
 * family by id, bumps the usage counter (upsert + RETURNING), selects the six profile fields, and appends the
 * audit event. Every statement is prepared: named for node-postgres, `prepare: true` for postgres.js.
 *
 * The audit event's seq comes from a counter in this process and its hash links to the genesis hash: how
 * several servers chain their events is test/bench/pg-chain.ts's question; here each unit pays the hashing
 * and the insert, not the chain's serialisation.
 */
import pg from 'pg';
import postgres from 'postgres';
import { GENESIS_HASH, nextLink } from '../../server/audit/chain/chain.ts';
import { FIELDS, ids } from './pg-driver-seed.ts';

// The statements, the same text for both drivers.
const SQL = {
  grant: `SELECT id, customer_id, company_id, purpose, fields, actions, terms_version, policy_version, status,
    expires_at, records, claims FROM grants WHERE id = $1 AND company_id = $2`,
  family: 'SELECT id, grant_id, dpop_jkt, revoked_at FROM token_families WHERE id = $1 AND company_id = $2',
  usage: `INSERT INTO usage_counters (customer_id, grant_id, action, hour, count) VALUES ($1, $2, 'read', $3, 1)
    ON CONFLICT (customer_id, grant_id, action, hour) DO UPDATE SET count = usage_counters.count + 1 RETURNING count`,
  fields: 'SELECT field, version, sealed FROM profile_fields WHERE customer_id = $1 AND field = ANY($2::text[])',
  audit: `INSERT INTO audit_events (seq, time, action, actor_kind, actor_id, customer_id, company_id, grant_id,
    decision, body, prev_hash, hash) VALUES ($1, $2, 'data.read', 'company', $3, $4, $5, $6, 'allow', $7, $8, $9)`,
};

/** What one unit read: enough for the test to check the read returned the seeded rows. */
export interface UnitResult {
  grant: { id: string; customer_id: string; status: string };
  uses: number;
  fields: { field: string; version: number; sealed: Buffer }[];
  seq: number;
}

let nextSeq = 0;
/** Seqs are unique across both drivers: they share this process. The caller starts it above any seeded seq. */
export function startSeqAt(seq: number): void {
  nextSeq = seq;
}

function auditParams(i: number, companyId: string) {
  const seq = ++nextSeq;
  const link = nextLink(
    GENESIS_HASH,
    {
      time: new Date().toISOString(),
      action: 'data.read',
      actor: { kind: 'company', id: companyId },
      customerId: ids.customer(i),
      companyId,
      grantId: ids.grant(i),
      purpose: 'order-fulfilment',
      fields: FIELDS,
      decision: 'allow',
      requestId: '00000000-0000-4000-8000-000000000000',
    },
    seq,
  );
  const e = link.event;
  return {
    seq,
    values: [seq, e.time, companyId, ids.customer(i), companyId, ids.grant(i), link.body, GENESIS_HASH, link.hash],
  };
}

const hour = () => Math.floor(Date.now() / 3_600_000);

/** A driver as the bench drives it: the audited read as one transaction, and the grant lookup alone. */
export interface Driver {
  name: 'node-postgres' | 'postgres.js';
  unit(i: number, companies: number): Promise<UnitResult>;
  /** The unit with its four reads sent at once (pipelining), where the driver can: node-postgres cannot. */
  unitPipelined?(i: number, companies: number): Promise<UnitResult>;
  grantOnly(i: number, companies: number): Promise<{ id: string }>;
  end(): Promise<void>;
}

function check(grant: UnitResult['grant'] | undefined, fields: unknown[]): UnitResult['grant'] {
  // A unit that read nothing must not count: the bench would report figures for work it did not do.
  if (!grant || grant.status !== 'active' || fields.length !== FIELDS.length) throw new Error('read returned no data');
  return grant;
}

export function nodePostgres(url: string, poolSize: number): Driver {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const q = (name: keyof typeof SQL) => ({ name: `bench_${name}`, text: SQL[name] });
  return {
    name: 'node-postgres',
    async unit(i, companies) {
      const companyId = ids.company(i % companies);
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const g = await c.query({ ...q('grant'), values: [ids.grant(i), companyId] });
        const f = await c.query({ ...q('family'), values: [ids.family(i), companyId] });
        if (!f.rows[0] || f.rows[0].revoked_at) throw new Error('family not live');
        const u = await c.query({ ...q('usage'), values: [ids.customer(i), ids.grant(i), hour()] });
        const p = await c.query({ ...q('fields'), values: [ids.customer(i), FIELDS] });
        const grant = check(g.rows[0], p.rows);
        const audit = auditParams(i, companyId);
        await c.query({ ...q('audit'), values: audit.values });
        await c.query('COMMIT');
        return { grant, uses: u.rows[0].count, fields: p.rows, seq: audit.seq };
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    },
    async grantOnly(i, companies) {
      const g = await pool.query({ ...q('grant'), values: [ids.grant(i), ids.company(i % companies)] });
      if (!g.rows[0]) throw new Error('no grant');
      return g.rows[0];
    },
    end: () => pool.end(),
  };
}

export function postgresJs(url: string, poolSize: number): Driver {
  const sql = postgres(url, { max: poolSize, prepare: true });
  const opts = { prepare: true };
  const unit = async (i: number, companies: number, pipelined: boolean) => {
    const companyId = ids.company(i % companies);
    return (await sql.begin(async (tx) => {
      const statements = [
        () => tx.unsafe(SQL.grant, [ids.grant(i), companyId], opts),
        () => tx.unsafe(SQL.family, [ids.family(i), companyId], opts),
        () => tx.unsafe(SQL.usage, [ids.customer(i), ids.grant(i), hour()], opts),
        () => tx.unsafe(SQL.fields, [ids.customer(i), FIELDS], opts),
      ];
      // Pipelined: the four statements leave in one write and their answers are checked together; the checks
      // still come before the audit insert and the commit, and a failed one rolls the usage bump back.
      const rows = pipelined ? await Promise.all(statements.map((s) => s())) : [];
      if (!pipelined) for (const s of statements) rows.push(await s());
      type Rows = (typeof rows)[number];
      const [[g], [f], [u], p] = rows as [Rows, Rows, Rows, Rows];
      if (!f || f.revoked_at) throw new Error('family not live');
      const grant = check(g as UnitResult['grant'] | undefined, p);
      const audit = auditParams(i, companyId);
      await tx.unsafe(SQL.audit, audit.values, opts);
      return { grant, uses: u!.count, fields: [...p] as unknown as UnitResult['fields'], seq: audit.seq };
    })) as UnitResult;
  };
  return {
    name: 'postgres.js',
    unit: (i, companies) => unit(i, companies, false),
    unitPipelined: (i, companies) => unit(i, companies, true),
    async grantOnly(i, companies) {
      const [g] = await sql.unsafe(SQL.grant, [ids.grant(i), ids.company(i % companies)], opts);
      if (!g) throw new Error('no grant');
      return g as unknown as { id: string };
    },
    end: () => sql.end({ timeout: 5 }),
  };
}
