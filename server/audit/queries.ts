import Database from 'better-sqlite3';
import type { Backend } from '../db/backend.ts';
import { rawStatement, type RawStatement } from '../db/raw.ts';
import type { AuditRow } from './chain/event.ts';
import type { ChainHead } from './chain/chains.ts';

/** What auditors filter the log by; every value is bound as a parameter. */
export interface AuditFilter {
  from?: string;
  to?: string;
  company?: string;
  customer?: string;
  action?: string;
  decision?: 'allow' | 'deny';
}

const FILTER_CONDITIONS: [keyof AuditFilter, string][] = [
  ['from', 'time >= ?'],
  ['to', 'time < ?'],
  ['company', 'company_id = ?'],
  ['customer', 'customer_id = ?'],
  ['action', 'action = ?'],
  ['decision', 'decision = ?'],
];

function where(f: AuditFilter, extra: string[] = []): { sql: string; params: unknown[] } {
  const parts = [...extra];
  const params: unknown[] = [];
  for (const [key, condition] of FILTER_CONDITIONS) {
    const value = f[key];
    if (!value) continue;
    parts.push(condition);
    params.push(value);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The customer's activity filters (validated at the route): company id, catalogue field name, ISO times. */
export interface ActivityFilter {
  company?: string;
  field?: string;
  from?: string;
  to?: string;
}

/**
 * The kinds of activity the customer sees. A refusal here is a request refused by the customer's own criteria
 * or the platform before any grant existed (`grant.denied` by the system); an approval is one that the
 * customer's auto-approval rules granted. Refused uses of a grant are grouped separately (refusalGroupsOf).
 */
const NO_EXTRA = { sqlite: '', postgres: '' };
// The body is JSON text on both back ends; each dialect reads a member its own way.
export const ACTIVITY_KINDS = {
  read: { action: 'data.read', extra: NO_EXTRA },
  claim: { action: 'data.claim', extra: NO_EXTRA },
  deposit: { action: 'data.deposit', extra: NO_EXTRA },
  refusal: {
    action: 'grant.denied',
    extra: {
      sqlite: " AND json_extract(body, '$.actor.kind') = 'system'",
      postgres: " AND body::jsonb -> 'actor' ->> 'kind' = 'system'",
    },
  },
  approval: {
    action: 'grant.approved',
    extra: {
      sqlite: " AND json_extract(body, '$.actor.id') = 'auto-approve'",
      postgres: " AND body::jsonb -> 'actor' ->> 'id' = 'auto-approve'",
    },
  },
} as const;
export type ActivityKind = keyof typeof ACTIVITY_KINDS;

const HAS_FIELD = {
  sqlite: " AND EXISTS (SELECT 1 FROM json_each(body, '$.fields') WHERE value = ?)",
  postgres:
    " AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(body::jsonb -> 'fields') AS f(value) WHERE f.value = ?)",
};

function activityWhere(
  f: ActivityFilter,
  dialect: Backend['dialect'],
): { sql: string; params: unknown[]; key: string } {
  const conditions: [string | undefined, string][] = [
    [f.company, ' AND company_id = ?'],
    [f.from, ' AND time >= ?'],
    [f.to, ' AND time < ?'],
    [f.field, HAS_FIELD[dialect]],
  ];
  const used = conditions.filter(([value]) => value);
  const parts = used.map(([, sql]) => sql);
  const params = used.map(([value]) => value);
  // At most 2^4 shapes per kind, so the prepared statements stay few.
  const key = (['company', 'from', 'to', 'field'] as const).filter((k) => f[k]).join(',');
  return { sql: parts.join(''), params, key };
}

export interface RefusalGroupRow {
  companyId: string | null;
  code: string | null;
  count: number;
  first: string;
  last: string;
  lastSeq: number;
  /** The newest event of the group, for its reason sentence. */
  lastBody: string;
}

/** Rows an export or a live verify reads per round trip on PostgreSQL (keyset pages over seq). */
const EXPORT_PAGE = 1000;

/**
 * Read-only queries over the audit trail (the module's own table). `dbFile` is the SQLite file an export reads
 * through its own read-only connection; PostgreSQL pages through the pool instead.
 */
export function createAuditQueries(b: Backend, dbFile?: string) {
  const head = rawStatement<{ seq: number; hash: string }>(
    b,
    'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
  );
  // Each chain's newest event, through the (chain, seq) index: what a checkpoint signs.
  const heads = rawStatement<ChainHead>(
    b,
    'SELECT chain, seq, hash FROM audit_events WHERE seq IN (SELECT max(seq) FROM audit_events GROUP BY chain) ORDER BY chain',
  );
  const readsOf = rawStatement<{ seq: number; body: string }>(
    b,
    "SELECT seq, body FROM audit_events WHERE customer_id = ? AND action IN ('data.read', 'data.claim', 'data.deposit', 'data.denied') AND seq < ? ORDER BY seq DESC LIMIT ?",
  );
  // The customer's activity: each kind through the (customer, action, seq) index, newest first, narrowed by
  // the dashboard's filters (every value bound as a parameter). Refusals are grouped per company and reason:
  // however many there are, the customer sees one line each.
  const activityStatements = new Map<string, RawStatement<unknown>>();
  const activityStatement = <R>(key: string, sql: string) => {
    let st = activityStatements.get(key);
    if (!st) activityStatements.set(key, (st = rawStatement(b, sql)));
    return st as RawStatement<R>;
  };
  const bodyAt = rawStatement<{ body: string }>(b, 'SELECT body FROM audit_events WHERE seq = ?');
  const total = rawStatement<{ n: number }>(b, 'SELECT count(*) AS n FROM audit_events');
  const companiesAsked = rawStatement<{ company_id: string }>(
    b,
    `SELECT DISTINCT company_id FROM audit_events WHERE customer_id = ? AND action IN ('grant.approved', 'grant.denied')
        AND company_id IS NOT NULL`,
  );
  const firstCode = {
    sqlite: "json_extract(body, '$.reasons[0].code')",
    postgres: "body::jsonb #>> '{reasons,0,code}'",
  }[b.dialect];

  /** PostgreSQL: the rows in seq order, a page at a time (no iterator holds a connection between pages). */
  async function* pages(w: { sql: string; params: unknown[] }): AsyncGenerator<AuditRow> {
    const text = `SELECT seq, body, prev_hash, hash FROM audit_events ${w.sql ? `${w.sql} AND` : 'WHERE'} seq > ?
      ORDER BY seq LIMIT ${EXPORT_PAGE}`;
    const page = rawStatement<AuditRow>(b, text);
    for (let after = 0; ;) {
      const rows = await page.all(...w.params, after);
      for (const r of rows) yield { ...r, seq: Number(r.seq) };
      if (rows.length < EXPORT_PAGE) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }

  /** PostgreSQL: every chain's rows up to the head it has now, a consistent cut however the pages interleave. */
  async function* headsCut(): AsyncGenerator<AuditRow> {
    const now = await heads.all();
    if (now.length === 0) return;
    const sql = `WHERE (${now.map(() => '(chain = ? AND seq <= ?)').join(' OR ')})`;
    yield* pages({ sql, params: now.flatMap((h) => [h.chain, h.seq]) });
  }

  return {
    /** How many events the trail holds (an export's progress bar). */
    count: async () => Number((await total.get())?.n ?? 0),
    head: async () => head.get(),
    heads: async () => heads.all(),

    /** One kind of the customer's activity (see ACTIVITY_KINDS), newest first, seq below `before`. */
    async activityOf(customerId: string, kind: ActivityKind, f: ActivityFilter, before: number, limit: number) {
      const w = activityWhere(f, b.dialect);
      const k = ACTIVITY_KINDS[kind];
      const sql = `SELECT seq, body FROM audit_events WHERE customer_id = ? AND action = ? AND seq < ?${k.extra[b.dialect]}${w.sql}
        ORDER BY seq DESC LIMIT ?`;
      return activityStatement<{ seq: number; body: string }>(`${kind}|${w.key}`, sql).all(
        customerId,
        k.action,
        before,
        ...w.params,
        limit,
      );
    },

    /** The customer's refused company uses, one group per company and reason, latest group first. */
    async refusalGroupsOf(customerId: string, f: ActivityFilter = {}): Promise<RefusalGroupRow[]> {
      const w = activityWhere(f, b.dialect);
      const sql = `SELECT company_id AS "companyId", ${firstCode} AS code, count(*) AS count,
            min(time) AS first, max(time) AS last, max(seq) AS "lastSeq"
       FROM audit_events WHERE customer_id = ? AND action IN ('data.denied', 'data.throttled')${w.sql}
      GROUP BY company_id, code ORDER BY "lastSeq" DESC LIMIT 100`;
      const rows = await activityStatement<Omit<RefusalGroupRow, 'lastBody'>>(`groups|${w.key}`, sql).all(
        customerId,
        ...w.params,
      );
      const out: RefusalGroupRow[] = [];
      for (const g of rows) out.push({ ...g, lastBody: (await bodyAt.get(g.lastSeq))!.body });
      return out;
    },

    /** Companies that asked this customer for access (approved, refused or auto-decided), as ids. */
    companiesThatAsked: async (customerId: string) => (await companiesAsked.all(customerId)).map((r) => r.company_id),

    /** A page of events, newest first, seq below `before`. */
    async page(f: AuditFilter, before: number, limit: number): Promise<{ seq: number; body: string }[]> {
      const w = where(f, ['seq < ?']);
      return rawStatement<{ seq: number; body: string }>(
        b,
        `SELECT seq, body FROM audit_events ${w.sql} ORDER BY seq DESC LIMIT ?`,
      ).all(before, ...w.params, limit);
    },

    readsOf: async (customerId: string, before: number, limit: number) => readsOf.all(customerId, before, limit),

    /**
     * Rows for an export, oldest first, up to `maxSeq` and, with several chains, each chain only up to its own
     * signed head: on PostgreSQL a chain's rows may commit out of global seq order relative to another chain's
     * (README "Storage"), so "seq <= the newest head" could take rows of one chain past what the checkpoint
     * signed for it. SQLite reads from a separate read-only connection (an open better-sqlite3 iterator blocks
     * its connection, and WAL gives this one a stable snapshot); PostgreSQL pages through the pool.
     */
    exportRows(
      f: AuditFilter,
      maxSeq: number,
      chains?: readonly ChainHead[],
    ): { rows: Iterable<AuditRow> | AsyncIterable<AuditRow>; close: () => void } {
      const upTo = chains?.length ? [`(${chains.map(() => '(chain = ? AND seq <= ?)').join(' OR ')})`] : [];
      const w = where(f, ['seq <= ?', ...upTo]);
      const params = [maxSeq, ...(chains ?? []).flatMap((h) => [h.chain, h.seq]), ...w.params];
      if (b.dialect === 'postgres' || !dbFile) return { rows: pages({ sql: w.sql, params }), close: () => {} };
      const ro = new Database(dbFile, { readonly: true, fileMustExist: true });
      const rows = ro
        .prepare(`SELECT seq, body, prev_hash, hash FROM audit_events ${w.sql} ORDER BY seq`)
        .iterate(...params) as IterableIterator<AuditRow>;
      return { rows, close: () => ro.close() };
    },

    /**
     * Every row, oldest first (verify --live). On PostgreSQL each chain only up to the head it had when the read
     * began: the pages are separate statements, and a chain's event with a low seq may commit between two of them
     * (its unit took the seq before another chain's later ones), after the page that would have held it.
     */
    allRows(): Iterable<AuditRow> | AsyncIterable<AuditRow> {
      if (b.dialect === 'postgres') return headsCut();
      return (b.q() as unknown as { $client: Database.Database }).$client
        .prepare('SELECT seq, body, prev_hash, hash FROM audit_events ORDER BY seq')
        .iterate() as IterableIterator<AuditRow>;
    },
  };
}

export type AuditQueries = ReturnType<typeof createAuditQueries>;
