import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import type { Grant } from '../grants/service.ts';
import { NotFound, RecordsFull } from '../http/errors.ts';
import { recordSpec } from './record-catalogue.ts';
import { openRecord } from './record-seal.ts';
import type { RecordRow, RecordStore } from './record-store.ts';
import type { RecordTails } from './record-tails.ts';

/** The words of a device event that needs attention: "Your toothbrush by Brushco needs service". */
const ATTENTION_WORDS: Record<string, string> = { needs_service: 'needs service', battery_low: 'has a low battery' };

/**
 * The most records one customer's vault keeps, from every company together (SECURITY.md "Floods and bounds").
 * Deposits are capped per grant and day, not overall: without this, grants could grow a vault without end. At
 * 16 KiB a record at most this bounds a vault near 320 MiB, and the records page and export that open every record;
 * a device depositing twice a day for 25 years stays under it.
 */
export const RECORDS_PER_CUSTOMER = 20_000;

/**
 * The customer's own view of their records (the dashboard's records page): what each says in words, who
 * deposited it, which companies can read it; hide one from all sharing, or delete it (its sealed row is
 * destroyed; the audit trail keeps only that it existed).
 */
export function createCustomerRecords(
  ctx: Pick<AppContext, 'backend' | 'clock'>,
  d: {
    store: RecordStore;
    dekOf: (customerId: string) => Promise<Uint8Array>;
    /** Records opened by company reads (record-tails.ts): a deleted record's plaintext goes with it. */
    tails: Pick<RecordTails, 'forget'>;
    audit: AuditAppend;
    companyName: (companyId: string) => Promise<string>;
    /** A connected product's name ("toothbrush"), for records its device deposited. */
    productName: (companyId: string) => Promise<string | undefined>;
    grantsOf: (customerId: string) => Promise<Grant[]>;
    criteriaOf: (customerId: string) => Promise<{ recordsNeverFrom?: string[] }>;
    postInbox: (
      customerId: string,
      kind: string,
      body: { title: string; text: string } & Record<string, unknown>,
    ) => void | Promise<void>;
    /** Whether an unread message of this kind about this company is already waiting (customers/store.ts). */
    hasUnreadAbout: (customerId: string, kind: string, companyId: string) => Promise<boolean>;
  },
) {
  /** The companies whose live grants reach this record now (the window is judged on the deposit time here). */
  async function readersOf(row: RecordRow, live: Grant[], never: Set<string>): Promise<string[]> {
    if (row.hiddenAt || never.has(row.companyId)) return [];
    const reaches = (g: Grant) =>
      g.actions.includes('read') &&
      g.records?.categories.includes(row.category) &&
      (g.records.sources === 'any' || g.records.sources.includes(row.companyId));
    return [...new Set(await Promise.all(live.filter(reaches).map((g) => d.companyName(g.companyId))))];
  }

  async function owned(customerId: string, id: string): Promise<RecordRow> {
    const row = await d.store.byId(customerId, id);
    if (!row) throw new NotFound('No such record');
    return row;
  }

  const event = (action: 'record.hidden' | 'record.shown' | 'record.deleted', row: RecordRow, requestId?: string) =>
    d.audit({
      action,
      actor: { kind: 'customer', id: row.customerId },
      customerId: row.customerId,
      companyId: row.companyId,
      requestId,
      detail: { recordId: row.id, category: row.category },
    });

  return {
    async list(customerId: string) {
      const dek = await d.dekOf(customerId);
      const live = (await d.grantsOf(customerId)).filter((g) => g.status === 'active');
      const never = new Set((await d.criteriaOf(customerId)).recordsNeverFrom ?? []);
      const records = await Promise.all(
        (await d.store.allOf(customerId)).map(async (row) => {
          const { content } = openRecord(dek, customerId, row.id, row.sealed);
          const spec = recordSpec(row.category);
          const name = await d.companyName(row.companyId);
          const product = row.deviceId ? ((await d.productName(row.companyId)) ?? 'device') : undefined;
          return {
            id: row.id,
            category: row.category,
            categoryLabel: spec?.label ?? row.category,
            description: spec ? spec.describe(content) : 'A record',
            content,
            source: {
              company: row.companyId,
              name,
              ...(product ? { device: row.deviceId, product } : {}),
              // In words: "from your toothbrush, by Brushco" or "from Shop A".
              label: product ? `from your ${product}, by ${name}` : `from ${name}`,
            },
            depositedAt: row.createdAt,
            hidden: row.hiddenAt !== null,
            readers: await readersOf(row, live, never),
          };
        }),
      );
      return { records };
    },

    async setHidden(customerId: string, id: string, hidden: boolean, requestId?: string) {
      await ctx.backend.inTransaction(async () => {
        const row = await owned(customerId, id);
        if ((row.hiddenAt !== null) === hidden) return;
        await d.store.setHidden(customerId, id, hidden ? ctx.clock.now().toISOString() : null);
        await event(hidden ? 'record.hidden' : 'record.shown', row, requestId);
      });
    },

    async remove(customerId: string, id: string, requestId?: string) {
      await ctx.backend.inTransaction(async () => {
        const row = await owned(customerId, id);
        await d.store.remove(customerId, id);
        await event('record.deleted', row, requestId);
      });
      d.tails.forget(customerId);
    },

    /**
     * Run in the deposit's unit before its row is written: a full vault refuses the deposit (409, nothing stored),
     * and the deposit that fills it tells the customer, once, in the same unit.
     */
    async roomFor(customerId: string, companyId: string) {
      const held = await d.store.countOf(customerId);
      if (held >= RECORDS_PER_CUSTOMER)
        throw new RecordsFull(`The customer's vault holds ${RECORDS_PER_CUSTOMER} records, the most it keeps`, {
          limit: RECORDS_PER_CUSTOMER,
        });
      if (held + 1 < RECORDS_PER_CUSTOMER) return;
      const company = await d.companyName(companyId);
      await d.postInbox(customerId, 'records.full', {
        title: 'Your vault is full of records',
        text: `Your vault now holds ${RECORDS_PER_CUSTOMER} records, the most it keeps; the last came from ${company}. Companies cannot add more until you delete some on your Records page.`,
        facts: { company, limit: RECORDS_PER_CUSTOMER },
      });
    },

    /** Posted in the deposit's unit: the words are filled in from the sealed record when the inbox is read. */
    async deviceAttention(customerId: string, recordId: string) {
      // One unread notice per company at a time (SECURITY.md "Floods and bounds"): a device that keeps reporting
      // adds nothing until the customer has read the last one, so it cannot bury the rest of the inbox.
      const companyId = (await d.store.byId(customerId, recordId))?.companyId;
      if (!companyId || (await d.hasUnreadAbout(customerId, 'device.attention', companyId))) return;
      await d.postInbox(customerId, 'device.attention', {
        companyId,
        title: 'A device needs your attention',
        text: 'One of your devices needs your attention.',
        notice: 'device.attention',
        recordId,
      });
    },

    /** profile.hooks.inboxText: "Your toothbrush by Brushco needs service", from the record as it is now. */
    async inboxText(customerId: string, body: Record<string, unknown>): Promise<string | undefined> {
      if (body.notice !== 'device.attention' || typeof body.recordId !== 'string') return undefined;
      const row = await d.store.byId(customerId, body.recordId);
      if (!row) return undefined;
      const c = openRecord(await d.dekOf(customerId), customerId, row.id, row.sealed).content as {
        product: string;
        maker: string;
        events: { kind: string }[];
      };
      const kind = [...c.events].reverse().find((e) => ATTENTION_WORDS[e.kind])?.kind;
      return kind ? `Your ${c.product} by ${c.maker} ${ATTENTION_WORDS[kind]}` : undefined;
    },
  };
}

export type CustomerRecords = ReturnType<typeof createCustomerRecords>;
