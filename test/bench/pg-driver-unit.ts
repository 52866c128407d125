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
import { createHash } from 'node:crypto';
import pg from 'pg';
import postgres from 'postgres';
import { GENESIS_HASH, nextLink } from '../../server/audit/chain/chain.ts';

export const FIELDS = [
  'contact.email',
  'contact.phone',
  'address.street',
  'address.postcode',
  'identity.birth_date',
  'preferences.language',
];
export const SEALED_BYTES = 200;

export const ids = {
  company: (i: number) => `company-${i}`,
  customer: (i: number) => `customer-${i}`,
  grant: (i: number) => `grant-${i}`,
  family: (i: number) => `family-${i}`,
};

/** The seeded sealed value of one field: 200 bytes that depend on the customer and the field. */
export function sealedValue(customerId: string, field: string): Buffer {
  const out = Buffer.alloc(SEALED_BYTES);
  for (let block = 0; block * 32 < SEALED_BYTES; block++)
    createHash('sha256')
      .update(`${customerId}|${field}|${block}`)
      .digest()
      .copy(out, block * 32);
  return out;
}

const NOW = '2026-11-30T00:00:00.000Z';
const LATER = '2027-11-30T00:00:00.000Z';

/** Companies, customers with one active grant and token family each, and six sealed profile fields apiece. */
export async function seed(url: string, customers: number, companies = 20): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO companies (id, name, status, auth_method, secret_hash, redirect_uris, dpop_bound, terms_version,
         registration_token_hash, created_at)
       SELECT 'company-' || i, 'Company ' || i, 'active', 'client_secret_basic', md5(i::text), '["https://c.example/cb"]',
         false, 1, md5('r' || i), $1 FROM generate_series(0, $2::int - 1) i`,
      [NOW, companies],
    );
    for (let from = 0; from < customers; from += 1000) {
      const n = Math.min(1000, customers - from);
      const idx = Array.from({ length: n }, (_, k) => from + k);
      await c.query(
        `INSERT INTO customers (id, handle, login_index, password_hash, kek_id, wrapped_dek, created_at)
         SELECT 'customer-' || i, 'h' || i, 'l' || i, 'x', 'kek-1', $2, $1 FROM unnest($3::int[]) i`,
        [NOW, sealedValue('dek', 'dek').subarray(0, 72), idx],
      );
      await c.query(
        `INSERT INTO grants (id, customer_id, company_id, purpose, fields, actions, terms_version, policy_version,
           status, created_at, expires_at, updated_at)
         SELECT 'grant-' || i, 'customer-' || i, 'company-' || (i % $4::int), 'order-fulfilment', $2, '["read"]', 1,
           'policy-v1', 'active', $1, $5, $1 FROM unnest($3::int[]) i`,
        [NOW, JSON.stringify(FIELDS), idx, companies, LATER],
      );
      await c.query(
        `INSERT INTO token_families (id, grant_id, company_id, created_at)
         SELECT 'family-' || i, 'grant-' || i, 'company-' || (i % $3::int), $1 FROM unnest($2::int[]) i`,
        [NOW, idx, companies],
      );
      const rows = idx.flatMap((i) => FIELDS.map((f) => [ids.customer(i), f] as const));
      await c.query(
        `INSERT INTO profile_fields (customer_id, field, version, sealed, updated_at)
         SELECT customer_id, field, 1, sealed, $1 FROM unnest($2::text[], $3::text[], $4::bytea[]) AS t(customer_id, field, sealed)`,
        [NOW, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map(([id, f]) => sealedValue(id, f))],
      );
    }
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

// The statements, the same text for both drivers.
const SQL = {
  grant: `SELECT id, customer_id, company_id, purpose, fields, actions, terms_version, policy_version, status,
    expires_at, records, claims FROM grants WHERE id = $1 AND company_id = $2`,
  family: 'SELECT id, grant_id, dpop_jkt, revoked_at FROM token_families WHERE id = $1 AND company_id = $2',
  usage: `INSERT INTO usage_counters (grant_id, action, hour, count) VALUES ($1, 'read', $2, 1)
    ON CONFLICT (grant_id, action, hour) DO UPDATE SET count = usage_counters.count + 1 RETURNING count`,
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
        const u = await c.query({ ...q('usage'), values: [ids.grant(i), hour()] });
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
        () => tx.unsafe(SQL.usage, [ids.grant(i), hour()], opts),
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
