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

/** What the cross-company read needs of a stored record to make its page: no content (kept or fetched apart). */
export type SharedRow = Pick<RecordRow, 'id' | 'companyId' | 'category' | 'createdAt' | 'deviceId'>;

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
  // The records_shareable index (migration 0024) holds the order, the category, the source and the device, so the
  // database walks it newest first without a sort and reads no row of the table: the page's content comes from the
  // records the read has opened before (record-tails.ts), and only the others' from `sealedOf`. On SQLite the page
  // comes back as ONE row, its rows' columns as one JSON text, so the driver builds one value instead of five per
  // row (ARCHITECTURE.md, "Speed: what we design with"). The aggregate reads the subquery's rows in its order
  // (SQLite runs it as a co-routine); that order is checked (below) rather than trusted. PostgreSQL has neither
  // json_each nor that aggregate order: it gets the page's rows plainly, the categories as one text[] parameter.
  // A read of one category (the usual one) leaves the category out of the JSON text (`meta`): the caller knows it.
  const sqlitePage = (category: string, meta: string) =>
    `SELECT json_group_array(json_array(${meta})) AS meta
       FROM (SELECT id, company_id, category, created_at, device_id FROM records
         WHERE customer_id = ? AND hidden_at IS NULL
           AND ${category}
           AND created_at >= ? AND (created_at, id) < (?, ?)
         ORDER BY created_at DESC, id DESC LIMIT ?)`;
  // A read of one category (the usual one) compares it plainly: json_each and its IN list cost a tenth of the page.
  const pageOfOne =
    b.dialect === 'sqlite'
      ? rawStatement(b, sqlitePage('category = ?', 'id, company_id, created_at, device_id'))
      : undefined;
  const page = rawStatement(b, {
    sqlite: sqlitePage(
      'category IN (SELECT value FROM json_each(?))',
      'id, company_id, category, created_at, device_id',
    ),
    postgres: `SELECT id, company_id AS "companyId", category, created_at AS "createdAt", device_id AS "deviceId"
       FROM records
       WHERE customer_id = ? AND hidden_at IS NULL AND category = ANY(?)
         AND created_at >= ? AND (?::text IS NULL OR (created_at, id) < (?, ?))
       ORDER BY created_at DESC, id DESC LIMIT ?`,
  });
  // The sealed content of some of a customer's records, by id (at most a page's).
  const sealed = rawStatement<{ id: string; sealed: Buffer }>(b, {
    sqlite: 'SELECT id, sealed FROM records WHERE customer_id = ? AND id IN (SELECT value FROM json_each(?))',
    postgres: 'SELECT id, sealed FROM records WHERE customer_id = ? AND id = ANY(?)',
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
    /** Up to `limit` shareable records of these categories deposited at or after `since`, strictly after `after`. */
    async shareable(
      customerId: string,
      categories: string[],
      since: string,
      after: RecordCursor | undefined,
      limit: number,
    ): Promise<SharedRow[]> {
      // No cursor means "from the newest". PostgreSQL is told so (NULL): a sentinel text would sort by the
      // database's collation, which need not put '\uffff' last. SQLite compares bytes, where it is last.
      if (b.dialect === 'postgres') {
        const at = after?.createdAt ?? null;
        const pgArgs = [customerId, categoryList(categories), since, at, at, after?.id ?? null, limit];
        return (await page.all(...pgArgs)) as SharedRow[];
      }
      const cAt = after?.createdAt ?? '\uffff';
      const cId = after?.id ?? '\uffff';
      const one = categories.length === 1 && pageOfOne;
      const args = [customerId, one ? categories[0] : categoryList(categories), since, cAt, cId, limit];
      const { meta } = (await (one || page).get(...args)) as { meta: string };
      let prev: SharedRow | undefined;
      const row = (id: string, companyId: string, category: string, createdAt: string, deviceId: string | null) => {
        if (prev && (prev.createdAt < createdAt || (prev.createdAt === createdAt && prev.id <= id)))
          throw new Error('records page out of order');
        return (prev = { id, companyId, category, createdAt, deviceId });
      };
      return one
        ? (JSON.parse(meta) as [string, string, string, string | null][]).map(([id, companyId, createdAt, deviceId]) =>
            row(id, companyId, categories[0]!, createdAt, deviceId),
          )
        : (JSON.parse(meta) as [string, string, string, string, string | null][]).map(
            ([id, companyId, category, createdAt, deviceId]) => row(id, companyId, category, createdAt, deviceId),
          );
    },
    /** The sealed content of these records of the customer's, by id; an id not theirs (or gone) is left out. */
    async sealedOf(customerId: string, ids: readonly string[]): Promise<Map<string, Buffer>> {
      const list = b.dialect === 'sqlite' ? JSON.stringify(ids) : ids;
      return new Map((await sealed.all(customerId, list)).map((r) => [r.id, r.sealed]));
    },
    setHidden: async (customerId: string, id: string, hiddenAt: string | null) =>
      (await hide.run(hiddenAt, customerId, id)) > 0,
    remove: async (customerId: string, id: string) => (await remove.run(customerId, id)) > 0,
  };
}

export type RecordStore = ReturnType<typeof createRecordStore>;
