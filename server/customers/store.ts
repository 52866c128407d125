import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection.ts';
import { fastLookup } from '../db/fast-lookup.ts';
import { auditors, customers, inbox, profileFields, records, sessions } from '../db/schema.ts';

/** Data access for accounts, sessions, profile fields and the inbox. Every query names its tenant. */
export function createCustomerStore(db: Db) {
  // The company read path resolves the handle, the data key and the fields on every request: prepared once.
  const byId = fastLookup(db, customers, [customers.id]);
  const byHandle = db.$client.prepare('SELECT id FROM customers WHERE handle = ?');
  const keyOf = db.$client.prepare('SELECT kek_id AS kekId, wrapped_dek AS wrappedDek FROM customers WHERE id = ?');
  const criteriaOf = db.$client.prepare('SELECT criteria FROM customers WHERE id = ?');
  // A cleared field keeps its row, with an empty `sealed` and its version, so that versions never repeat
  // (a ciphertext from before the clearing can never come back under a version it had): not a value.
  const fieldsOf = db.$client.prepare(
    'SELECT field, version, sealed, updated_at AS updatedAt, customer_id AS customerId FROM profile_fields WHERE customer_id = ? AND length(sealed) > 0',
  );
  // One statement per number of fields asked for (at most the catalogue's size), so only those rows are read.
  const sealedOf = new Map<number, Statement>();
  const sealedStatement = (n: number) => {
    let stmt = sealedOf.get(n);
    if (!stmt)
      sealedOf.set(
        n,
        (stmt = db.$client.prepare(
          `SELECT field, version, sealed FROM profile_fields WHERE customer_id = ? AND field IN (${Array(n).fill('?').join(', ')}) AND length(sealed) > 0`,
        )),
      );
    return stmt;
  };
  return {
    insertCustomer: async (row: typeof customers.$inferInsert) => db.insert(customers).values(row).run(),
    customerById: async (id: string): Promise<typeof customers.$inferSelect | undefined> => byId(id),
    customerByLogin: async (loginIndex: string) =>
      db.select().from(customers).where(eq(customers.loginIndex, loginIndex)).get(),
    customerByHandle: async (handle: string) => byHandle.get(handle) as { id: string } | undefined,
    /** Only the wrapped data key: what each company read needs, without the rest of the row. */
    wrappedKeyOf: async (id: string) => keyOf.get(id) as { kekId: string; wrappedDek: Buffer } | undefined,
    criteriaOf: async (id: string) => (criteriaOf.get(id) as { criteria: string } | undefined)?.criteria,
    allWrappedDeks: async () =>
      db.select({ id: customers.id, kekId: customers.kekId, wrappedDek: customers.wrappedDek }).from(customers).all(),
    rewrapDek: async (id: string, oldKekId: string, kekId: string, wrappedDek: Buffer) =>
      db
        .update(customers)
        .set({ kekId, wrappedDek })
        .where(and(eq(customers.id, id), eq(customers.kekId, oldKekId)))
        .run(),
    setCriteria: async (id: string, criteria: string) =>
      db.update(customers).set({ criteria }).where(eq(customers.id, id)).run(),
    /** Crypto-shredding: the wrapped DEK goes with the row; sealed rows become unreadable. */
    deleteCustomer: async (id: string) => {
      db.delete(profileFields).where(eq(profileFields.customerId, id)).run();
      db.delete(records).where(eq(records.customerId, id)).run();
      db.delete(inbox).where(eq(inbox.customerId, id)).run();
      db.delete(sessions).where(eq(sessions.subjectId, id)).run();
      db.delete(customers).where(eq(customers.id, id)).run();
    },

    insertAuditor: async (row: typeof auditors.$inferInsert) => db.insert(auditors).values(row).run(),
    auditorByLogin: async (loginIndex: string) =>
      db.select().from(auditors).where(eq(auditors.loginIndex, loginIndex)).get(),
    auditorById: async (id: string) => db.select().from(auditors).where(eq(auditors.id, id)).get(),

    insertSession: async (row: typeof sessions.$inferInsert) => db.insert(sessions).values(row).run(),
    sessionByHash: async (idHash: string) => db.select().from(sessions).where(eq(sessions.idHash, idHash)).get(),
    deleteSession: async (idHash: string) => db.delete(sessions).where(eq(sessions.idHash, idHash)).run(),
    deleteExpiredSessions: async (nowIso: string) => db.delete(sessions).where(lt(sessions.expiresAt, nowIso)).run(),

    fields: async (customerId: string) => fieldsOf.all(customerId) as (typeof profileFields.$inferSelect)[],
    /** Only what opening needs, only for the named fields: the company read path's query. */
    sealedFields: async (customerId: string, names: readonly string[]) =>
      (names.length === 0 ? [] : sealedStatement(names.length).all(customerId, ...names)) as {
        field: string;
        version: number;
        sealed: Buffer;
      }[],
    field: async (customerId: string, field: string) =>
      db
        .select()
        .from(profileFields)
        .where(and(eq(profileFields.customerId, customerId), eq(profileFields.field, field)))
        .get(),
    upsertField: async (row: typeof profileFields.$inferInsert) =>
      db
        .insert(profileFields)
        .values(row)
        .onConflictDoUpdate({
          target: [profileFields.customerId, profileFields.field],
          set: { version: row.version, sealed: row.sealed, updatedAt: row.updatedAt },
        })
        .run(),
    /** Clears a field: its ciphertext goes, its row stays with the next version and nothing sealed (see fieldsOf). */
    clearField: async (customerId: string, field: string, version: number, updatedAt: string) =>
      db
        .update(profileFields)
        .set({ sealed: Buffer.alloc(0), version, updatedAt })
        .where(and(eq(profileFields.customerId, customerId), eq(profileFields.field, field)))
        .run(),
    insertRecord: async (row: typeof records.$inferInsert) => db.insert(records).values(row).run(),
    records: async (customerId: string) => db.select().from(records).where(eq(records.customerId, customerId)).all(),
    /** The ids of the records exchanged under one grant (named in its deletion request, never their content). */
    recordIdsOfGrant: async (customerId: string, grantId: string) =>
      db
        .select({ id: records.id })
        .from(records)
        .where(and(eq(records.customerId, customerId), eq(records.grantId, grantId)))
        .all()
        .map((r) => r.id),

    /** Newest first; rowid breaks ties between messages written in the same millisecond. */
    inbox: async (customerId: string) =>
      db
        .select()
        .from(inbox)
        .where(eq(inbox.customerId, customerId))
        .orderBy(desc(inbox.createdAt), desc(sql`rowid`))
        .all(),
    insertInbox: async (row: typeof inbox.$inferInsert) => db.insert(inbox).values(row).run(),
    /** Whether an unread message of this kind about this company is already waiting. */
    hasUnreadAbout: async (customerId: string, kind: string, companyId: string) =>
      db
        .select({ id: inbox.id })
        .from(inbox)
        .where(
          and(
            eq(inbox.customerId, customerId),
            eq(inbox.kind, kind),
            sql`${inbox.readAt} IS NULL`,
            sql`json_extract(${inbox.body}, '$.companyId') = ${companyId}`,
          ),
        )
        .get() !== undefined,
    markInboxRead: async (customerId: string, id: string, at: string) =>
      db
        .update(inbox)
        .set({ readAt: at })
        .where(and(eq(inbox.id, id), eq(inbox.customerId, customerId)))
        .run(),
  };
}

export type CustomerStore = ReturnType<typeof createCustomerStore>;
