import type { AppContext } from '../context.ts';
import type { AuditAppend } from '../audit/chain/append.ts';
import { openField, openFieldsEach, sealField } from '../crypto/field-cipher.ts';
import { NotFound, ValidationFailed } from '../http/errors.ts';
import { FIELD_CATALOGUE, isFieldName, type FieldName } from './field-catalogue.ts';
import type { CustomerStore } from './store.ts';

export interface ProfileValue {
  value: unknown;
  category: string;
  version: number;
  updatedAt: string;
}

/** Hooks other modules register so that export and deletion cover everything a customer owns. */
export interface AccountHooks {
  /** Runs inside the deletion transaction: revoke grants, cancel requests. */
  onDelete: Array<(customerId: string) => void | Promise<void>>;
  /** Contributes sections to the portability export. */
  exportSections: Array<(customerId: string) => Record<string, unknown> | Promise<Record<string, unknown>>>;
  /** Fills in an inbox message's words from sealed data at read time, so the inbox table holds no plaintext. */
  inboxText: Array<
    (customerId: string, body: Record<string, unknown>) => string | undefined | Promise<string | undefined>
  >;
}

/** A record's content whether sealed bare (before migration 0013) or with its provenance (data/record-seal.ts). */
const recordContent = (o: unknown) =>
  o && typeof o === 'object' && [2, 3].includes((o as { v?: unknown }).v as number)
    ? (o as { content: unknown }).content
    : o;

export function createProfile(ctx: AppContext, store: CustomerStore, audit: AuditAppend) {
  const hooks: AccountHooks = { onDelete: [], exportSections: [], inboxText: [] };

  // Unwrapped data keys of recently active customers, reused only while the stored wrapped key is byte
  // for byte the one they came from (so a deletion or a rewrap takes effect at once); bounded in size
  // and age (SECURITY.md "Keys"). Saves the unwrap on the company read path.
  const dekCache = new Map<string, { wrapped: Buffer; dek: Uint8Array; at: number }>();
  const DEK_TTL_MS = 10 * 60_000;

  async function dekOf(customerId: string): Promise<Uint8Array> {
    const c = await store.wrappedKeyOf(customerId);
    if (!c) throw new NotFound('No such customer');
    const now = Date.now();
    const hit = dekCache.get(customerId);
    if (hit && now - hit.at < DEK_TTL_MS && hit.wrapped.equals(c.wrappedDek)) return hit.dek;
    const dek = ctx.keyring.unwrapDek(customerId, { kekId: c.kekId, wrapped: c.wrappedDek });
    if (dekCache.size >= 10_000) dekCache.delete(dekCache.keys().next().value!);
    dekCache.set(customerId, { wrapped: Buffer.from(c.wrappedDek), dek, at: now });
    return dek;
  }

  async function readFields(customerId: string, names?: readonly string[]): Promise<Record<string, ProfileValue>> {
    const dek = await dekOf(customerId);
    const out: Record<string, ProfileValue> = {};
    for (const row of await store.fields(customerId)) {
      if (names && !names.includes(row.field)) continue;
      if (!isFieldName(row.field)) continue;
      out[row.field] = {
        value: openField(dek, { customerId, field: row.field, version: row.version }, row.sealed),
        category: FIELD_CATALOGUE[row.field].category,
        version: row.version,
        updatedAt: row.updatedAt,
      };
    }
    return out;
  }

  /** The values of the named fields the customer has filled in (the company read: no metadata). */
  async function openFields(customerId: string, names: readonly string[]): Promise<Record<string, unknown>> {
    const dek = await dekOf(customerId);
    const out: Record<string, unknown> = {};
    for (const row of await store.sealedFields(customerId, names)) {
      out[row.field] = openField(dek, { customerId, field: row.field, version: row.version }, row.sealed);
    }
    return out;
  }

  /**
   * The company read's `fields` object as JSON text: each value's sealed bytes, which are the JSON text it was sealed
   * as (field-cipher.ts sealField), opened in one pass and copied in unparsed, without a parse and a serialisation
   * per field. Same names, values and order as openFields.
   */
  async function openFieldsJson(customerId: string, names: readonly string[]): Promise<string> {
    const dek = await dekOf(customerId);
    const rows = await store.sealedFields(customerId, names);
    let json = '{';
    openFieldsEach(
      dek,
      rows.map((row) => ({ binding: { customerId, field: row.field, version: row.version }, sealed: row.sealed })),
      (i, heap, start, end) =>
        (json += `${i === 0 ? '' : ','}${JSON.stringify(rows[i]!.field)}:${heap.toString('utf8', start, end)}`),
    );
    return `${json}}`;
  }

  return {
    hooks,
    dekOf,
    readFields,
    openFields,
    openFieldsJson,
    customerIdByHandle: async (handle: string) => (await store.customerByHandle(handle))?.id,
    insertRecord: store.insertRecord,
    /** The customer's messages, newest first, bodies parsed (the dashboard's inbox and the export). */
    inbox: async (customerId: string) => {
      const out = [];
      for (const m of await store.inbox(customerId)) {
        const body = JSON.parse(m.body) as Record<string, unknown>;
        let text: string | undefined;
        for (const h of hooks.inboxText) if ((text = await h(customerId, body)) !== undefined) break;
        out.push({ ...m, body: text ? { ...body, text } : body });
      }
      return out;
    },
    handleOf: async (customerId: string) => (await store.customerById(customerId))?.handle,
    async markRead(customerId: string, id: string) {
      if ((await store.markInboxRead(customerId, id, ctx.clock.now().toISOString())) === 0)
        throw new NotFound('No such message');
    },

    /** Sets or clears (null) several fields at once; all or nothing. */
    async updateFields(customerId: string, changes: Record<string, unknown>) {
      const parsed: Array<[FieldName, unknown]> = [];
      const errors: { path: string; message: string }[] = [];
      for (const [name, value] of Object.entries(changes)) {
        if (!isFieldName(name)) {
          errors.push({ path: `body.${name}`, message: 'unknown field (see GET /api/fields)' });
          continue;
        }
        if (value === null) {
          parsed.push([name, null]);
          continue;
        }
        const r = FIELD_CATALOGUE[name].schema.safeParse(value);
        if (r.success) parsed.push([name, r.data]);
        else
          errors.push(
            ...r.error.issues.map((i) => ({
              path: ['body', name, ...i.path.map(String)].join('.'),
              message: i.message,
            })),
          );
      }
      if (errors.length)
        throw new ValidationFailed(errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
      const dek = await dekOf(customerId);
      const at = ctx.clock.now().toISOString();
      await ctx.backend.inTransaction(async () => {
        for (const [field, value] of parsed) {
          // Versions only ever count up, across clearing too: the AAD binds each ciphertext to its version.
          const version = ((await store.field(customerId, field))?.version ?? 0) + 1;
          if (value === null) await store.clearField(customerId, field, version, at);
          else
            await store.upsertField({
              customerId,
              field,
              version,
              sealed: sealField(dek, { customerId, field, version }, value),
              updatedAt: at,
            });
        }
      });
      return readFields(customerId);
    },

    /** Everything the vault holds about the customer, decrypted, as one JSON document (portability). */
    async exportAll(customerId: string, requestId?: string) {
      const c = await store.customerById(customerId);
      if (!c) throw new NotFound('No such customer');
      const dek = await dekOf(customerId);
      const recordsOut = (await store.records(customerId)).map((r) => ({
        id: r.id,
        companyId: r.companyId,
        grantId: r.grantId,
        category: r.category,
        createdAt: r.createdAt,
        content: recordContent(openField(dek, { customerId, field: `record:${r.id}`, version: 1 }, r.sealed)),
      }));
      const sections: Record<string, unknown> = {};
      for (const s of hooks.exportSections) Object.assign(sections, await s(customerId));
      await ctx.backend.inTransaction(() =>
        audit({ action: 'customer.export', actor: { kind: 'customer', id: customerId }, customerId, requestId }),
      );
      return {
        format: 'consent-vault-export/1',
        exportedAt: ctx.clock.now().toISOString(),
        account: { id: c.id, handle: c.handle, createdAt: c.createdAt },
        profile: await readFields(customerId),
        criteria: JSON.parse(c.criteria) as unknown,
        records: recordsOut,
        ...sections,
      };
    },

    /** Deletes the account; destroying the wrapped DEK makes every sealed copy unreadable (ARCHITECTURE.md, "The encrypted profile"). */
    async deleteAccount(customerId: string, requestId?: string) {
      await ctx.backend.inTransaction(async () => {
        if (!(await store.customerById(customerId))) throw new NotFound('No such customer');
        for (const h of hooks.onDelete) await h(customerId);
        await store.deleteCustomer(customerId);
        dekCache.get(customerId)?.dek.fill(0);
        dekCache.delete(customerId);
        await audit({ action: 'customer.deleted', actor: { kind: 'customer', id: customerId }, customerId, requestId });
      });
      // The deleted rows' earlier versions (the wrapped DEK among them) still sit in the write-ahead log
      // until it is checkpointed and reset; secure_delete zeroes only the database file's free pages.
      // TRUNCATE copies the zeroed pages into the file and empties the log. On PostgreSQL the dead row versions
      // stay until autovacuum reclaims them (SECURITY.md "Deletion").
      if (ctx.db)
        try {
          const [r] = ctx.db.$client.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
          if (r?.busy)
            ctx.logger.warn(
              'after an account deletion the write-ahead log could not be emptied (a reader was active); it will be at the next checkpoint',
            );
        } catch (err) {
          ctx.logger.warn({ err }, 'after an account deletion the write-ahead log could not be emptied');
        }
    },
  };
}

export type Profile = ReturnType<typeof createProfile>;
