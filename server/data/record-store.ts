import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';

/** One stored record: the sealed content (with its provenance signature) and its plaintext provenance ids. */
export interface RecordRow {
  id: string;
  customerId: string;
  companyId: string;
  grantId: string;
  category: string;
  sealed: Buffer;
  createdAt: string;
  idempotencyKey: string | null;
  deviceId: string | null;
  hiddenAt: string | null;
}

// Quoted aliases: PostgreSQL folds unquoted ones to lower case; SQLite takes the quotes as identifiers alike.
const COLUMNS = `id, customer_id AS "customerId", company_id AS "companyId", grant_id AS "grantId", category, sealed,
  created_at AS "createdAt", idempotency_key AS "idempotencyKey", device_id AS "deviceId", hidden_at AS "hiddenAt"`;

/** The columns of a SealedRow: what the records read fetches of a record. */
const SEALED_COLUMNS = `id, company_id AS "companyId", category, created_at AS "createdAt", device_id AS "deviceId", sealed`;

/** What the cross-company read's page says of a record besides its content: none of it changes once deposited. */
export type SharedRow = Pick<RecordRow, 'id' | 'companyId' | 'category' | 'createdAt' | 'deviceId'>;
export type SealedRow = SharedRow & Pick<RecordRow, 'sealed'>;
/** A page of rows as SQLite packs it (record-store.ts `rows`). */
interface Packed {
  meta: string;
  blob: Buffer | null;
}

/** Where a page of records starts: after the record with this deposit time and id (newest first). */
export interface RecordCursor {
  createdAt: string;
  id: string;
}

/**
 * The records table's queries (data/ owns it). Every query takes the customer id and filters by it. The
 * cross-company read is a hot path, so its statements are prepared once on the driver (ARCHITECTURE.md,
 * "The life of a company read").
 */
export function createRecordStore(b: Backend) {
  const insert = rawStatement(
    b,
    `INSERT INTO records (id, customer_id, company_id, grant_id, category, sealed, created_at, idempotency_key, device_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byKey = rawStatement<RecordRow>(
    b,
    `SELECT ${COLUMNS} FROM records WHERE customer_id = ? AND company_id = ? AND idempotency_key = ?`,
  );
  const byId = rawStatement<RecordRow>(b, `SELECT ${COLUMNS} FROM records WHERE customer_id = ? AND id = ?`);
  const all = rawStatement<RecordRow>(
    b,
    `SELECT ${COLUMNS} FROM records WHERE customer_id = ? ORDER BY created_at DESC, id DESC`,
  );
  // Shareable records of some categories, newest first, from a cursor on; the caller filters sources and window.
  // The records_shareable index (migration 0022) holds the order and the category, so the database walks it newest
  // first without a sort. Two forms (ARCHITECTURE.md, "Speed: what we design with"):
  // - `ids`: only the records' ids, from the index alone, no row of the table read: everything else a page needs
  //   of a record never changes once deposited and comes from the records the read opened before (record-tails.ts);
  // - `rows`: the rows with their sealed content, for a read that has nothing opened for the customer. On SQLite
  //   the page comes back as ONE row, its rows' columns as one JSON text and their sealed blobs concatenated into
  //   one blob (sliced by each row's length), so the driver builds two values instead of six per row, a Buffer
  //   each among them. The aggregates read the subquery's rows in its order (SQLite runs it as a co-routine); an
  //   ORDER BY inside them would sort the blobs again, so the order is checked instead (below). PostgreSQL has
  //   neither json_each nor that aggregate order: it gets the rows plainly, the categories as one text[] parameter.
  // A read of one category (the usual one) compares it plainly (json_each and its IN list cost a tenth of the
  // page) and leaves the category out of the JSON text: the caller knows it.
  const where = (category: string) =>
    `WHERE customer_id = ? AND hidden_at IS NULL AND ${category}
       AND created_at >= ? AND (created_at, id) < (?, ?)
     ORDER BY created_at DESC, id DESC LIMIT ?`;
  const pgWhere = `WHERE customer_id = ? AND hidden_at IS NULL AND category = ANY(?)
       AND created_at >= ? AND (?::text IS NULL OR (created_at, id) < (?, ?))
     ORDER BY created_at DESC, id DESC LIMIT ?`;
  const ONE = 'category = ?';
  const ANY = 'category IN (SELECT value FROM json_each(?))';
  const sqliteRows = (category: string, meta: string) =>
    `SELECT json_group_array(json_array(${meta}, length(sealed))) AS meta,
         CAST(group_concat(sealed, '') AS BLOB) AS blob
       FROM (SELECT id, company_id, category, sealed, created_at, device_id FROM records ${where(category)})`;
  const sqliteOnly = <R>(sql: string) => (b.dialect === 'sqlite' ? rawStatement<R>(b, sql) : undefined);
  // SQLite: the customer's records version (migration 0024), which a trigger sets to a new random number at every
  // write to their records, is read with the ids in the same statement (evaluated once), so that a read can keep
  // the ids as those of that version (record-tails.ts `keepIds`) and, while it stands, read only the version.
  // PostgreSQL keeps no version (pg migration 0015): `v` is null there and nothing is kept.
  const VERSION = '(SELECT records_version FROM customers WHERE id = ?) AS v';
  const versionOf = sqliteOnly<{ v: number }>('SELECT records_version AS v FROM customers WHERE id = ?');
  const idsOfOne = sqliteOnly<{ id: string; v: number }>(`SELECT id, ${VERSION} FROM records ${where(ONE)}`);
  const ids = rawStatement<{ id: string; v: number | null }>(b, {
    sqlite: `SELECT id, ${VERSION} FROM records ${where(ANY)}`,
    postgres: `SELECT id, NULL AS v FROM records ${pgWhere}`,
  });
  const rowsOfOne = sqliteOnly<Packed>(sqliteRows(ONE, 'id, company_id, created_at, device_id'));
  const rows = rawStatement<Packed | SealedRow>(b, {
    sqlite: sqliteRows(ANY, 'id, company_id, category, created_at, device_id'),
    postgres: `SELECT ${SEALED_COLUMNS} FROM records ${pgWhere}`,
  });
  // The arguments of both forms; no cursor means "from the newest". PostgreSQL is told so (NULL): a sentinel text
  // would sort by the database's collation, which need not put '\uffff' last. SQLite compares bytes, where it is.
  const pageArgs = (
    customerId: string,
    categories: string[],
    since: string,
    after: RecordCursor | undefined,
    limit: number,
  ) => {
    if (b.dialect === 'postgres') {
      const at = after?.createdAt ?? null;
      return [customerId, categoryList(categories), since, at, at, after?.id ?? null, limit];
    }
    const one = categories.length === 1;
    return [
      customerId,
      one ? categories[0] : categoryList(categories),
      since,
      after?.createdAt ?? '\uffff',
      after?.id ?? '\uffff',
      limit,
    ];
  };
  // The sealed content and what a page says of some of a customer's records, by id (at most a page's); a record
  // hidden since the page's query (PostgreSQL reads each statement afresh) is not among them.
  const sealed = rawStatement<SealedRow>(b, {
    sqlite: `SELECT ${SEALED_COLUMNS} FROM records
      WHERE customer_id = ? AND hidden_at IS NULL AND id IN (SELECT value FROM json_each(?))`,
    postgres: `SELECT ${SEALED_COLUMNS} FROM records WHERE customer_id = ? AND hidden_at IS NULL AND id = ANY(?)`,
  });
  // The category list: one JSON text for SQLite's json_each, an array (text[]) for PostgreSQL's ANY.
  const categoryList = (categories: string[]) => (b.dialect === 'sqlite' ? JSON.stringify(categories) : categories);
  // Counted on the records_customer index alone; at most RECORDS_PER_CUSTOMER entries (customer-records.ts).
  const count = rawStatement<{ n: number }>(b, 'SELECT count(*) AS n FROM records WHERE customer_id = ?');
  const hide = rawStatement(b, 'UPDATE records SET hidden_at = ? WHERE customer_id = ? AND id = ?');
  const remove = rawStatement(b, 'DELETE FROM records WHERE customer_id = ? AND id = ?');
  const sources = rawStatement<{ companyId: string }>(b, {
    sqlite: `SELECT DISTINCT company_id AS "companyId" FROM records
     WHERE customer_id = ? AND hidden_at IS NULL AND category IN (SELECT value FROM json_each(?)) ORDER BY company_id`,
    postgres: `SELECT DISTINCT company_id AS "companyId" FROM records
     WHERE customer_id = ? AND hidden_at IS NULL AND category = ANY(?) ORDER BY company_id`,
  });

  return {
    insert: async (r: Omit<RecordRow, 'hiddenAt'>) =>
      void (await insert.run(
        r.id,
        r.customerId,
        r.companyId,
        r.grantId,
        r.category,
        r.sealed,
        r.createdAt,
        r.idempotencyKey,
        r.deviceId,
      )),
    byIdempotencyKey: async (customerId: string, companyId: string, key: string) =>
      await byKey.get(customerId, companyId, key),
    byId: async (customerId: string, id: string) => await byId.get(customerId, id),
    countOf: async (customerId: string) => (await count.get(customerId))!.n,
    allOf: async (customerId: string) => await all.all(customerId),
    /** The companies whose shareable records of these categories are in the customer's vault. */
    sourcesOf: async (customerId: string, categories: string[]) =>
      (await sources.all(customerId, categoryList(categories))).map((r) => r.companyId),
    /**
     * The customer's records version on SQLite: a new random number whenever any of their records is deposited,
     * hidden, shown or deleted (migration 0024), in any process, and back to what it was if that write rolls back.
     * Undefined on PostgreSQL, which keeps none.
     */
    recordsVersion: async (customerId: string): Promise<number | undefined> =>
      versionOf ? (await versionOf.get(customerId))?.v : undefined,
    /**
     * The ids of up to `limit` shareable records of these categories deposited at or after `since`, after `after`,
     * and on SQLite the records version they are the page of (none when the page is empty).
     */
    async shareable(
      customerId: string,
      categories: string[],
      since: string,
      after: RecordCursor | undefined,
      limit: number,
    ): Promise<{ ids: string[]; version?: number }> {
      const args = pageArgs(customerId, categories, since, after, limit);
      const stmt = (categories.length === 1 && idsOfOne) || ids;
      const found = await (b.dialect === 'sqlite' ? stmt.all(customerId, ...args) : stmt.all(...args));
      return { ids: found.map((r) => r.id), version: found[0]?.v ?? undefined };
    },
    /** The same records as `shareable`, as rows with their sealed content. */
    async shareableSealed(
      customerId: string,
      categories: string[],
      since: string,
      after: RecordCursor | undefined,
      limit: number,
    ): Promise<SealedRow[]> {
      const args = pageArgs(customerId, categories, since, after, limit);
      if (b.dialect === 'postgres') return (await rows.all(...args)) as SealedRow[];
      const one = categories.length === 1 && rowsOfOne;
      const { meta, blob } = (await (one || rows).get(...args)) as Packed;
      let at = 0;
      let prev: SealedRow | undefined;
      const row = (
        id: string,
        companyId: string,
        category: string,
        createdAt: string,
        deviceId: string | null,
        length: number,
      ) => {
        if (prev && (prev.createdAt < createdAt || (prev.createdAt === createdAt && prev.id <= id)))
          throw new Error('records page out of order');
        return (prev = { id, companyId, category, sealed: blob!.subarray(at, (at += length)), createdAt, deviceId });
      };
      const out = one
        ? (JSON.parse(meta) as [string, string, string, string | null, number][]).map(
            ([id, companyId, createdAt, deviceId, length]) =>
              row(id, companyId, categories[0]!, createdAt, deviceId, length),
          )
        : (JSON.parse(meta) as [string, string, string, string, string | null, number][]).map(
            ([id, companyId, category, createdAt, deviceId, length]) =>
              row(id, companyId, category, createdAt, deviceId, length),
          );
      // The blobs must end exactly where their lengths say (a database whose text encoding is not UTF-8 would
      // convert them in group_concat): anything else is refused, not sliced wrongly.
      if (at !== (blob?.length ?? 0)) throw new Error('records page: lengths and blob differ');
      return out;
    },
    /** These shareable records of the customer's, by id, with their sealed content; one not theirs, hidden since or gone is left out. */
    async sealedOf(customerId: string, ids: readonly string[]): Promise<Map<string, SealedRow>> {
      const list = b.dialect === 'sqlite' ? JSON.stringify(ids) : ids;
      return new Map((await sealed.all(customerId, list)).map((r) => [r.id, r]));
    },
    setHidden: async (customerId: string, id: string, hiddenAt: string | null) =>
      (await hide.run(hiddenAt, customerId, id)) > 0,
    remove: async (customerId: string, id: string) => (await remove.run(customerId, id)) > 0,
  };
}

export type RecordStore = ReturnType<typeof createRecordStore>;
