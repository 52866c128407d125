import { randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { DeletionFacts } from '../audit/checkpoints/receipts.ts';
import type { AppContext } from '../context.ts';
import { inWords, type InboxFacts } from '../customers/inbox.ts';
import { inTransactionSync } from '../db/connection.ts';
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
  receipts: { issueDeletion(r: DeletionFacts, kind: 'deletion-requested' | 'deletion-confirmed'): string };
  retentionDaysOf(companyId: string, termsVersion: number): number | undefined;
  recordIdsOfGrant(customerId: string, grantId: string): string[];
  companyName(companyId: string): string;
  /** Writes to the customer's inbox, unless the account is gone. */
  tell(customerId: string, kind: string, body: Record<string, unknown>): void;
}

/**
 * Deletion requests (ARCHITECTURE.md, "After consent"): when a grant ends the company is asked to delete what it
 * received, by its own retention or the platform's maximum, whichever comes first; it confirms, and each step is
 * audited and receipted in the transaction that makes it. Unconfirmed requests turn overdue on the sweep.
 */
export function createDeletions(ctx: Pick<AppContext, 'db' | 'clock' | 'policies'>, audit: AuditAppend, d: Sources) {
  const store = createDeletionStore(ctx.db);
  /** `onRequested` runs inside the transaction that ends the grant (for the grant events outbox). */
  const hooks = { onRequested: [] as Array<(r: DeletionRequest) => void> };
  const rules = () => ctx.policies.afterConsent.deletion;

  function request({ grant: g, cause }: GrantEnding): DeletionRequest | undefined {
    // Fields the company still holds under another live grant of the same customer (a renewal) stay with it.
    const stillGranted = new Set(
      d.grants.store
        .liveForCustomer(g.customerId)
        .filter((o) => o.companyId === g.companyId && o.id !== g.id)
        .flatMap((o) => JSON.parse(o.fields) as string[]),
    );
    const fields = g.fields.filter((f) => !stillGranted.has(f));
    const records = d.recordIdsOfGrant(g.customerId, g.id);
    if (!fields.length && !records.length) return undefined;
    const now = ctx.clock.now();
    const retention = d.retentionDaysOf(g.companyId, g.termsVersion) ?? rules().maxDays;
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
    if (!store.insert(row)) return undefined;
    const receiptId = d.receipts.issueDeletion(toRequest({ ...blank, ...row }), 'deletion-requested');
    store.update(row.id, { receiptId });
    audit({
      action: 'deletion.requested',
      actor: { kind: 'system', id: 'vault' },
      customerId: g.customerId,
      companyId: g.companyId,
      grantId: g.id,
      fields,
      detail: { deletionId: row.id, cause, dueAt: row.dueAt, records: records.length },
    });
    const created = toRequest(store.byGrant(g.id)!);
    for (const h of hooks.onRequested) h(created);
    return created;
  }

  function getForCompany(companyId: string, id: string): DeletionRequest {
    const r = store.forCompany(companyId, id);
    if (!r) throw new NotFound('No such deletion request');
    return toRequest(r);
  }

  return {
    hooks,
    /** Subscribe to grant endings: `endings.hooks.onEnded.push(deletions.onEnded)`. */
    onEnded: (ending: GrantEnding) => void request(ending),
    listForCompany: (companyId: string, status?: DeletionStatus) =>
      store.listForCompany(companyId, status).map(toRequest),
    getForCompany,
    listForCustomer: (customerId: string) => store.listForCustomer(customerId).map(toRequest),
    listForAuditor: (status: DeletionStatus, limit: number) => store.listByStatus(status, limit).map(toRequest),

    /** Confirming twice returns the first confirmation unchanged; another company's request is a 404. */
    confirm(
      companyId: string,
      id: string,
      kept: { fields: string[]; until: string } | undefined,
      requestId?: string,
    ): DeletionRequest {
      return inTransactionSync(ctx.db, () => {
        const r = getForCompany(companyId, id);
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
        const receiptId = d.receipts.issueDeletion(
          { ...r, ...set, keptFields: kept ? [...new Set(kept.fields)] : null },
          'deletion-confirmed',
        );
        store.update(r.id, { ...set, receiptId });
        audit({
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
        const name = d.companyName(companyId);
        d.tell(r.customerId, 'deletion.confirmed', {
          title: `${name} deleted your data`,
          text: `${name} confirmed that it deleted what it received under a grant that ended.`,
          facts: { company: name, fields: r.fields } satisfies InboxFacts,
          grantId: r.grantId,
          companyId,
          receiptId,
        });
        return toRequest(store.forCompany(companyId, id)!);
      });
    },

    /** The sweep: open requests past their deadline turn overdue, the customer is told, and policy may suspend. */
    markOverdue(now: Date): number {
      const due = store.dueForOverdue(now.toISOString());
      for (const row of due)
        inTransactionSync(ctx.db, () => {
          store.update(row.id, { status: 'overdue', overdueAt: now.toISOString() });
          const r = toRequest(row);
          audit({
            action: 'deletion.overdue',
            actor: { kind: 'system', id: 'clock' },
            customerId: r.customerId,
            companyId: r.companyId,
            grantId: r.grantId,
            fields: r.fields,
            detail: { deletionId: r.id, dueAt: r.dueAt },
          });
          const name = d.companyName(r.companyId);
          d.tell(r.customerId, 'deletion.overdue', {
            title: `${name} has not confirmed deletion`,
            text: `${name} had to delete what it received from you by ${inWords(r.dueAt)} and has not confirmed it. Auditors see this too.`,
            facts: { company: name, fields: r.fields, dueAt: r.dueAt } satisfies InboxFacts,
            grantId: r.grantId,
            companyId: r.companyId,
          });
          if (rules().suspendOtherGrantsWhenOverdue) suspendCompany(r.companyId, name);
        });
      return due.length;
    },
  };

  function suspendCompany(companyId: string, name: string) {
    for (const g of d.grants.store.liveForCompany(companyId))
      d.grants.suspend(g, `${name} has not confirmed a deletion it was asked to make`, undefined, [
        { code: 'status-reason', message: 'The company has an overdue deletion request' },
      ]);
  }
}

const blank = { overdueAt: null, confirmedAt: null, keptFields: null, keptUntil: null, receiptId: null };

export type Deletions = ReturnType<typeof createDeletions>;
