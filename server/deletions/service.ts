import { randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { DeletionFacts } from '../audit/checkpoints/receipts.ts';
import type { AppContext } from '../context.ts';
import { inWords, type InboxFacts } from '../customers/inbox.ts';
import type { GrantEnding } from '../grants/endings.ts';
import type { Grants } from '../grants/service.ts';
import { BadRequest, NotFound } from '../http/errors.ts';
import { createDeletionStore, type DeletionRow, type DeletionStatus } from './store.ts';

const DAY_MS = 86_400_000;
/** The longest a company may keep data under a legal obligation (SECURITY.md, "After consent"). */
export const MAX_KEPT_YEARS = 10;

export interface DeletionRequest extends DeletionFacts {
  status: DeletionStatus;
  overdueAt: string | null;
  receiptId: string | null;
}

export function toRequest(r: DeletionRow): DeletionRequest {
  return {
    ...r,
    fields: JSON.parse(r.fields) as string[],
    records: JSON.parse(r.records) as string[],
    keptFields: r.keptFields ? (JSON.parse(r.keptFields) as string[]) : null,
  };
}

interface Sources {
  grants: Pick<Grants, 'store' | 'suspend'>;
  receipts: { issueDeletion(r: DeletionFacts, kind: 'deletion-requested' | 'deletion-confirmed'): Promise<string> };
  retentionDaysOf(companyId: string, termsVersion: number): Promise<number | undefined>;
  recordIdsOfGrant(customerId: string, grantId: string): Promise<string[]>;
  companyName(companyId: string): Promise<string>;
  /** Writes to the customer's inbox, unless the account is gone. */
  tell(customerId: string, kind: string, body: Record<string, unknown>): void | Promise<void>;
}

/**
 * Deletion requests (ARCHITECTURE.md, "After consent"): when a grant ends the company is asked to delete what it
 * received, by its own retention or the platform's maximum, whichever comes first; it confirms, and each step is
 * audited and receipted in the transaction that makes it. Unconfirmed requests turn overdue on the sweep.
 */
export function createDeletions(
  ctx: Pick<AppContext, 'backend' | 'clock' | 'policies'>,
  audit: AuditAppend,
  d: Sources,
) {
  const store = createDeletionStore(ctx.backend);
  /** `onRequested` runs inside the transaction that ends the grant (for the grant events outbox). */
  const hooks = { onRequested: [] as Array<(r: DeletionRequest) => void | Promise<void>> };
  const rules = () => ctx.policies.afterConsent.deletion;

  async function request({ grant: g, cause }: GrantEnding): Promise<DeletionRequest | undefined> {
    // Fields the company still holds under another live grant of the same customer (a renewal) stay with it.
    const stillGranted = new Set(
      (await d.grants.store.liveForCustomer(g.customerId))
        .filter((o) => o.companyId === g.companyId && o.id !== g.id)
        .flatMap((o) => JSON.parse(o.fields) as string[]),
    );
    const fields = g.fields.filter((f) => !stillGranted.has(f));
    const records = await d.recordIdsOfGrant(g.customerId, g.id);
    if (!fields.length && !records.length) return undefined;
    const now = ctx.clock.now();
    const retention = (await d.retentionDaysOf(g.companyId, g.termsVersion)) ?? rules().maxDays;
    const days = Math.min(retention, rules().maxDays);
    const row = {
      id: randomUUID(),
      customerId: g.customerId,
      companyId: g.companyId,
      grantId: g.id,
      cause,
      fields: JSON.stringify(fields),
      records: JSON.stringify(records),
      status: 'open' as const,
      requestedAt: now.toISOString(),
      dueAt: new Date(now.getTime() + days * DAY_MS).toISOString(),
    };
    if (!(await store.insert(row))) return undefined;
    const receiptId = await d.receipts.issueDeletion(toRequest({ ...blank, ...row }), 'deletion-requested');
    await store.update(row.id, { receiptId });
    await audit({
      action: 'deletion.requested',
      actor: { kind: 'system', id: 'vault' },
      customerId: g.customerId,
      companyId: g.companyId,
      grantId: g.id,
      fields,
      detail: { deletionId: row.id, cause, dueAt: row.dueAt, records: records.length },
    });
    const created = toRequest((await store.byGrant(g.id))!);
    for (const h of hooks.onRequested) await h(created);
    return created;
  }

  async function getForCompany(companyId: string, id: string): Promise<DeletionRequest> {
    const r = await store.forCompany(companyId, id);
    if (!r) throw new NotFound('No such deletion request');
    return toRequest(r);
  }

  return {
    hooks,
    /** Subscribe to grant endings: `endings.hooks.onEnded.push(deletions.onEnded)`. */
    onEnded: async (ending: GrantEnding) => void (await request(ending)),
    listForCompany: async (companyId: string, status?: DeletionStatus) =>
      (await store.listForCompany(companyId, status)).map(toRequest),
    getForCompany,
    listForCustomer: async (customerId: string) => (await store.listForCustomer(customerId)).map(toRequest),
    listForAuditor: async (status: DeletionStatus, limit: number) =>
      (await store.listByStatus(status, limit)).map(toRequest),

    /** Confirming twice returns the first confirmation unchanged; another company's request is a 404. */
    confirm(
      companyId: string,
      id: string,
      kept: { fields: string[]; until: string } | undefined,
      requestId?: string,
    ): Promise<DeletionRequest> {
      return ctx.backend.inTransaction(async () => {
        const r = await getForCompany(companyId, id);
        if (r.status === 'confirmed') return r;
        const now = ctx.clock.now();
        if (kept) {
          if (!kept.fields.every((f) => r.fields.includes(f)))
            throw new BadRequest('Only fields named in the deletion request can be kept');
          const until = Date.parse(kept.until);
          if (until <= now.getTime()) throw new BadRequest('The legal obligation must end in the future');
          if (until > now.getTime() + MAX_KEPT_YEARS * 366 * DAY_MS)
            throw new BadRequest(`A legal obligation can keep data for at most ${MAX_KEPT_YEARS} years`);
        }
        const set = {
          status: 'confirmed' as const,
          confirmedAt: now.toISOString(),
          keptFields: kept ? JSON.stringify([...new Set(kept.fields)]) : null,
          keptUntil: kept ? new Date(kept.until).toISOString() : null,
        };
        const receiptId = await d.receipts.issueDeletion(
          { ...r, ...set, keptFields: kept ? [...new Set(kept.fields)] : null },
          'deletion-confirmed',
        );
        await store.update(r.id, { ...set, receiptId });
        await audit({
          action: 'deletion.confirmed',
          actor: { kind: 'company', id: companyId },
          customerId: r.customerId,
          companyId,
          grantId: r.grantId,
          fields: r.fields,
          requestId,
          detail: {
            deletionId: r.id,
            late: r.status === 'overdue',
            ...(set.keptUntil ? { keptFields: kept!.fields.length, keptUntil: set.keptUntil } : {}),
          },
        });
        const name = await d.companyName(companyId);
        await d.tell(r.customerId, 'deletion.confirmed', {
          title: `${name} deleted your data`,
          text: `${name} confirmed that it deleted what it received under a grant that ended.`,
          facts: { company: name, fields: r.fields } satisfies InboxFacts,
          grantId: r.grantId,
          companyId,
          receiptId,
        });
        return toRequest((await store.forCompany(companyId, id))!);
      });
    },

    /** The sweep: open requests past their deadline turn overdue, the customer is told, and policy may suspend. */
    async markOverdue(now: Date): Promise<number> {
      const due = await store.dueForOverdue(now.toISOString());
      for (const row of due)
        await ctx.backend.inTransaction(async () => {
          await store.update(row.id, { status: 'overdue', overdueAt: now.toISOString() });
          const r = toRequest(row);
          await audit({
            action: 'deletion.overdue',
            actor: { kind: 'system', id: 'clock' },
            customerId: r.customerId,
            companyId: r.companyId,
            grantId: r.grantId,
            fields: r.fields,
            detail: { deletionId: r.id, dueAt: r.dueAt },
          });
          const name = await d.companyName(r.companyId);
          await d.tell(r.customerId, 'deletion.overdue', {
            title: `${name} has not confirmed deletion`,
            text: `${name} had to delete what it received from you by ${inWords(r.dueAt)} and has not confirmed it. Auditors see this too.`,
            facts: { company: name, fields: r.fields, dueAt: r.dueAt } satisfies InboxFacts,
            grantId: r.grantId,
            companyId: r.companyId,
          });
          if (rules().suspendOtherGrantsWhenOverdue) await suspendCompany(r.companyId, name);
        });
      return due.length;
    },
  };

  async function suspendCompany(companyId: string, name: string) {
    for (const g of await d.grants.store.liveForCompany(companyId))
      await d.grants.suspend(g, `${name} has not confirmed a deletion it was asked to make`, undefined, [
        { code: 'status-reason', message: 'The company has an overdue deletion request' },
      ]);
  }
}

const blank = { overdueAt: null, confirmedAt: null, keptFields: null, keptUntil: null, receiptId: null };

export type Deletions = ReturnType<typeof createDeletions>;
