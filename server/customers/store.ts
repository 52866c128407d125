import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { changedRows, type Backend } from '../db/backend.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { rawStatement, type RawStatement } from '../db/raw.ts';

type SealedRow = { field: string; version: number; sealed: Buffer };
/** Several rows as one: their columns as a JSON array text, their blobs end to end (null when there is no row). */
type PackedRows = { meta: string; blob: Buffer | null };

/** Data access for accounts, sessions, profile fields and the inbox. Every query names its tenant. */
export function createCustomerStore(b: Backend) {
  const { auditors, customers, inbox, profileFields, records, sessions } = b.t;
  // The company read path resolves the handle, the data key and the fields on every request: prepared once.
  // Aliases are quoted: PostgreSQL folds unquoted names to lower case.
  const byId = fastLookup(b, customers, [customers.id]);
  const byHandle = rawStatement<{ id: string }>(b, 'SELECT id FROM customers WHERE handle = ?');
  const keyOf = rawStatement<{ kekId: string; wrappedDek: Buffer }>(
    b,
    'SELECT kek_id AS "kekId", wrapped_dek AS "wrappedDek" FROM customers WHERE id = ?',
  );
  const criteriaOf = rawStatement<{ criteria: string }>(b, 'SELECT criteria FROM customers WHERE id = ?');
  // Inside a unit: the handle's row with its criteria and data key in one statement (on PostgreSQL one round trip),
  // kept for the unit's later criteriaOf and wrappedKeyOf (the company read asks for all three), forgotten when
  // written.
  type ReadRow = { id: string; criteria: string; kekId: string; wrappedDek: Buffer };
  const readRowByHandle = rawStatement<ReadRow>(
    b,
    'SELECT id, criteria, kek_id AS "kekId", wrapped_dek AS "wrappedDek" FROM customers WHERE handle = ?',
  );
  const memoKey = (id: string) => `customer ${id}`;
  const kept = (id: string) => b.unitMemo?.()?.get(memoKey(id)) as ReadRow | undefined;
  const forget = (id: string) => b.unitMemo?.()?.delete(memoKey(id));
  // A cleared field keeps its row, with an empty `sealed` and its version, so that versions never repeat
  // (a ciphertext from before the clearing can never come back under a version it had): not a value.
  const fieldsOf = rawStatement<typeof profileFields.$inferSelect>(
    b,
    'SELECT field, version, sealed, updated_at AS "updatedAt", customer_id AS "customerId" FROM profile_fields WHERE customer_id = ? AND length(sealed) > 0',
  );
  // One statement per number of fields asked for (at most the catalogue's size), so only those rows are read.
  // On SQLite the rows come back as ONE row: their field names and
  // versions as one JSON text and their ciphertexts concatenated into one blob, sliced here by length; the driver
  // then builds two values instead of three per field, one Buffer instead of six on a six-field read.
  const sealedOf = new Map<number, RawStatement<SealedRow> | RawStatement<PackedRows>>();
  const sealedStatement = (n: number) => {
    let stmt = sealedOf.get(n);
    if (!stmt) {
      const where = `customer_id = ? AND field IN (${Array(n).fill('?').join(', ')}) AND length(sealed) > 0`;
      stmt =
        b.dialect === 'sqlite'
          ? rawStatement<PackedRows>(
              b,
              `SELECT json_group_array(json_array(field, version, length(sealed))) AS meta,
                 CAST(group_concat(sealed, '') AS BLOB) AS blob FROM profile_fields WHERE ${where}`,
            )
          : rawStatement<SealedRow>(b, `SELECT field, version, sealed FROM profile_fields WHERE ${where}`);
      sealedOf.set(n, stmt);
    }
    return stmt;
  };
  // PostgreSQL's read-ahead of a company read (server/data/use-read-ahead.ts): every filled-in field of the customer,
  // fetched before the grant says which fields the read may open, so it cannot name them; the read then takes the
  // named ones from these rows. Sealed bytes only: what is opened is still decided by the grant and the policy.
  const allSealed = rawStatement<SealedRow>(
    b,
    'SELECT field, version, sealed FROM profile_fields WHERE customer_id = ? AND length(sealed) > 0',
  );
  const sealedRows = async (customerId: string, names: readonly string[]): Promise<SealedRow[]> => {
    if (names.length === 0) return [];
    if (b.dialect !== 'sqlite') {
      const all = allSealed.served(customerId);
      if (all) return all.filter((r) => names.includes(r.field));
      return (await sealedStatement(names.length).all(customerId, ...names)) as SealedRow[];
    }
    const packed = (await sealedStatement(names.length).get(customerId, ...names)) as PackedRows;
    const meta = JSON.parse(packed.meta) as [string, number, number][];
    let at = 0;
    const rows = meta.map(([field, version, length]) => ({
      field,
      version,
      sealed: packed.blob!.subarray(at, (at += length)),
    }));
    // The blobs must end exactly where their lengths say (a database whose text encoding is not UTF-8 would convert
    // them in group_concat): anything else is refused, not sliced wrongly.
    if (at !== (packed.blob?.length ?? 0)) throw new Error('packed profile fields: lengths and blob differ');
    return rows;
  };
  // Messages written in the same millisecond keep their order by physical row: SQLite's rowid, PostgreSQL's ctid
  // (the table has no insertion counter of its own).
  const rowOrder = b.dialect === 'sqlite' ? sql`rowid` : sql`ctid`;
  const bodyCompany =
    b.dialect === 'sqlite'
      ? sql`json_extract(${inbox.body}, '$.companyId')`
      : sql`(${inbox.body}::json ->> 'companyId')`;
  return {
    insertCustomer: async (row: typeof customers.$inferInsert) => {
      await b.q().insert(customers).values(row);
    },
    customerById: async (id: string): Promise<typeof customers.$inferSelect | undefined> => byId(id),
    customerByLogin: async (loginIndex: string) =>
      (await b.q().select().from(customers).where(eq(customers.loginIndex, loginIndex)).limit(1))[0],
    customerByHandle: async (handle: string): Promise<{ id: string } | undefined> => {
      const memo = b.unitMemo?.();
      if (!memo) return byHandle.get(handle);
      const row = await readRowByHandle.get(handle);
      if (!row) return undefined;
      memo.set(memoKey(row.id), row);
      return { id: row.id };
    },
    /** customerByHandle's row inside a unit, fetched ahead with the unit's other reads (server/db/read-ahead.ts). */
    customerByHandleAhead: (handle: string) => readRowByHandle.ahead([handle], ['wrappedDek']),
    /** Every filled-in field's sealed row, fetched ahead for sealedFields (server/db/read-ahead.ts). */
    sealedFieldsAhead: (customerId: string) => allSealed.ahead([customerId], ['sealed']),
    /** Only the wrapped data key: what each company read needs, without the rest of the row. */
    wrappedKeyOf: async (id: string) => {
      const row = kept(id);
      return row ? { kekId: row.kekId, wrappedDek: row.wrappedDek } : keyOf.get(id);
    },
    criteriaOf: async (id: string) => kept(id)?.criteria ?? (await criteriaOf.get(id))?.criteria,
    allWrappedDeks: async () =>
      b.q().select({ id: customers.id, kekId: customers.kekId, wrappedDek: customers.wrappedDek }).from(customers),
    /** Rows changed: 0 when another writer rewrapped it first. */
    rewrapDek: async (id: string, oldKekId: string, kekId: string, wrappedDek: Buffer) => {
      forget(id);
      return changedRows(
        await b
          .q()
          .update(customers)
          .set({ kekId, wrappedDek })
          .where(and(eq(customers.id, id), eq(customers.kekId, oldKekId))),
      );
    },
    setCriteria: async (id: string, criteria: string) => {
      forget(id);
      await b.q().update(customers).set({ criteria }).where(eq(customers.id, id));
    },
    /** Crypto-shredding: the wrapped DEK goes with the row; sealed rows become unreadable. */
    deleteCustomer: async (id: string) => {
      forget(id);
      await b.q().delete(profileFields).where(eq(profileFields.customerId, id));
      await b.q().delete(records).where(eq(records.customerId, id));
      await b.q().delete(inbox).where(eq(inbox.customerId, id));
      await b.q().delete(sessions).where(eq(sessions.subjectId, id));
      await b.q().delete(customers).where(eq(customers.id, id));
    },

    insertAuditor: async (row: typeof auditors.$inferInsert) => {
      await b.q().insert(auditors).values(row);
    },
    auditorByLogin: async (loginIndex: string) =>
      (await b.q().select().from(auditors).where(eq(auditors.loginIndex, loginIndex)).limit(1))[0],
    auditorById: async (id: string) => (await b.q().select().from(auditors).where(eq(auditors.id, id)).limit(1))[0],

    insertSession: async (row: typeof sessions.$inferInsert) => {
      await b.q().insert(sessions).values(row);
    },
    sessionByHash: async (idHash: string) =>
      (await b.q().select().from(sessions).where(eq(sessions.idHash, idHash)).limit(1))[0],
    deleteSession: async (idHash: string) => {
      await b.q().delete(sessions).where(eq(sessions.idHash, idHash));
    },
    deleteExpiredSessions: async (nowIso: string) =>
      changedRows(await b.q().delete(sessions).where(lt(sessions.expiresAt, nowIso))),

    fields: async (customerId: string) => fieldsOf.all(customerId),
    /** Only what opening needs, only for the named fields: the company read path's query. */
    sealedFields: sealedRows,
    field: async (customerId: string, field: string) =>
      (
        await b
          .q()
          .select()
          .from(profileFields)
          .where(and(eq(profileFields.customerId, customerId), eq(profileFields.field, field)))
          .limit(1)
      )[0],
    upsertField: async (row: typeof profileFields.$inferInsert) => {
      await b
        .q()
        .insert(profileFields)
        .values(row)
        .onConflictDoUpdate({
          target: [profileFields.customerId, profileFields.field],
          set: { version: row.version, sealed: row.sealed, updatedAt: row.updatedAt },
        });
    },
    /** Clears a field: its ciphertext goes, its row stays with the next version and nothing sealed (see fieldsOf). */
    clearField: async (customerId: string, field: string, version: number, updatedAt: string) => {
      await b
        .q()
        .update(profileFields)
        .set({ sealed: Buffer.alloc(0), version, updatedAt })
        .where(and(eq(profileFields.customerId, customerId), eq(profileFields.field, field)));
    },
    insertRecord: async (row: typeof records.$inferInsert) => {
      await b.q().insert(records).values(row);
    },
    records: async (customerId: string): Promise<(typeof records.$inferSelect)[]> =>
      b.q().select().from(records).where(eq(records.customerId, customerId)),
    /** The ids of the records exchanged under one grant (named in its deletion request, never their content). */
    recordIdsOfGrant: async (customerId: string, grantId: string) =>
      (
        await b
          .q()
          .select({ id: records.id })
          .from(records)
          .where(and(eq(records.customerId, customerId), eq(records.grantId, grantId)))
      ).map((r) => r.id),

    /** Newest first; the physical row order breaks ties between messages written in the same millisecond. */
    inbox: async (customerId: string): Promise<(typeof inbox.$inferSelect)[]> =>
      b.q().select().from(inbox).where(eq(inbox.customerId, customerId)).orderBy(desc(inbox.createdAt), desc(rowOrder)),
    insertInbox: async (row: typeof inbox.$inferInsert) => {
      await b.q().insert(inbox).values(row);
    },
    /** Whether an unread message of this kind about this company is already waiting. */
    hasUnreadAbout: async (customerId: string, kind: string, companyId: string) =>
      (
        await b
          .q()
          .select({ id: inbox.id })
          .from(inbox)
          .where(
            and(
              eq(inbox.customerId, customerId),
              eq(inbox.kind, kind),
              sql`${inbox.readAt} IS NULL`,
              sql`${bodyCompany} = ${companyId}`,
            ),
          )
          .limit(1)
      ).length > 0,
    /** Rows changed: 0 when the message is not this customer's. */
    markInboxRead: async (customerId: string, id: string, at: string) =>
      changedRows(
        await b
          .q()
          .update(inbox)
          .set({ readAt: at })
          .where(and(eq(inbox.id, id), eq(inbox.customerId, customerId))),
      ),
  };
}

export type CustomerStore = ReturnType<typeof createCustomerStore>;
