import { randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import type { Actor, Grant, GrantChange } from '../grants/service.ts';
import { createOutboxStore, type OutboxRow } from './store.ts';
import { GRANT_CHANGE_EVENT, grantEventData, type DeletionRequestedEvent, type EventType } from './types.ts';

/** Retries back off from 2 s, doubling, to at most 15 min; an event still undelivered 72 h after it was made is given up (SECURITY.md "Grant events"). */
export const RETRY_FIRST_MS = 2_000;
export const RETRY_MAX_MS = 15 * 60_000;
export const GIVE_UP_AFTER_MS = 72 * 3_600_000;
/** Settled events are kept 7 days, then purged by the sweep. */
export const KEEP_SETTLED_MS = 7 * 86_400_000;
/** The sweep gives up at most this many stale events per run, so one run stays short. */
const STALE_PER_SWEEP = 1_000;

export const retryDelayMs = (attempts: number) =>
  Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempts - 1));

/** The closed vocabulary of delivery outcomes the audit trail records (never text from the receiver). */
export type DeliveryOutcome =
  | 'accepted'
  | 'acknowledged'
  | 'polled'
  | 'timeout'
  | 'network'
  | 'redirect'
  | 'status'
  | 'rejected'
  | 'aborted'
  | 'blocked'
  | 'expired';

export interface OutcomeDetail {
  mode: 'push' | 'poll';
  outcome: DeliveryOutcome;
  status?: number;
  /** An RFC 8935 §2.4 / RFC 8936 error code, from the closed list in push.ts, or "other". */
  err?: string;
}

const definedOnly = (o: Record<string, string | number | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, string | number>;

/**
 * The durable outbox (ARCHITECTURE.md, "Grant events"): `emit` writes a SET's content in the caller's
 * transaction, so an event exists if and only if its change committed; push and poll settle it later.
 */
export function createEventOutbox(ctx: Pick<AppContext, 'backend' | 'clock'>, audit: AuditAppend) {
  const store = createOutboxStore(ctx.backend);
  const emitted: Array<() => void> = [];
  const now = () => ctx.clock.now();

  async function emit(
    type: EventType,
    e: { companyId: string; customerId: string; grantId: string | null },
    data: object,
  ) {
    const at = now().toISOString();
    await store.insert({
      jti: randomUUID(),
      ...e,
      eventType: type,
      data: JSON.stringify(data),
      createdAt: at,
      nextAttemptAt: at,
    });
    // After the caller's transaction has committed (it is synchronous): the worker wakes up for it.
    setImmediate(() => emitted.forEach((f) => f()));
  }

  async function record(
    row: OutboxRow,
    action: 'event.attempted' | 'event.delivered' | 'event.given-up',
    d: OutcomeDetail,
  ) {
    await audit({
      action,
      actor: { kind: 'system', id: 'events' },
      customerId: row.customerId,
      companyId: row.companyId,
      ...(row.grantId ? { grantId: row.grantId } : {}),
      detail: definedOnly({ jti: row.jti, eventType: row.eventType, attempt: row.attempts + 1, ...d }),
    });
  }

  return {
    store,
    /** Called by the worker or the poll endpoint when an event has been taken (RFC 8935 202, RFC 8936 ack). */
    async delivered(row: OutboxRow, d: OutcomeDetail) {
      await ctx.backend.inTransaction(async () => {
        await store.update(row.companyId, row.seq, {
          attempts: row.attempts + 1,
          settledAt: now().toISOString(),
          outcome: d.outcome,
        });
        await record(row, 'event.delivered', d);
      });
    },
    /** A failed attempt: retried with back-off, or given up when `permanent` or too old. Returns whether it was given up. */
    async failed(row: OutboxRow, d: OutcomeDetail, permanent: boolean): Promise<boolean> {
      const at = now();
      const giveUp = permanent || at.getTime() - Date.parse(row.createdAt) >= GIVE_UP_AFTER_MS;
      await ctx.backend.inTransaction(async () => {
        const next = new Date(at.getTime() + retryDelayMs(row.attempts + 1)).toISOString();
        await store.update(row.companyId, row.seq, {
          attempts: row.attempts + 1,
          outcome: d.outcome,
          ...(giveUp ? { settledAt: at.toISOString() } : { nextAttemptAt: next }),
        });
        await record(row, giveUp ? 'event.given-up' : 'event.attempted', d);
      });
      return giveUp;
    },
    /** A poll handed the event out; it stays pending until acknowledged (RFC 8936 §2.4). */
    async handedOut(row: OutboxRow) {
      await ctx.backend.inTransaction(async () => {
        await store.update(row.companyId, row.seq, { attempts: row.attempts + 1, outcome: 'polled' });
        await record(row, 'event.attempted', { mode: 'poll', outcome: 'polled' });
      });
    },
    onEmitted: (f: () => void) => void emitted.push(f),
    /** The grants module's change hook: runs inside the transaction of the change. */
    async onGrantChange(g: Grant, change: GrantChange, actor: Actor) {
      const ids = { companyId: g.companyId, customerId: g.customerId, grantId: g.id };
      await emit(GRANT_CHANGE_EVENT[change], ids, grantEventData(g, actor));
    },
    /** For the deletions module: call inside the transaction that opens the deletion request. */
    async emitDeletionRequested(e: DeletionRequestedEvent) {
      const ids = { companyId: e.companyId, customerId: e.customerId, grantId: e.grantId };
      const data = { deletion_id: e.deletionId, grant_id: e.grantId, fields: e.fields, deadline: e.deadline };
      await emit('deletion-requested', ids, data);
    },
    /**
     * The sweep: gives up events undelivered 72 h after they were made, whatever the mode (a polling company
     * that never polls would otherwise keep them forever; a push company whose endpoint was removed, too),
     * then purges settled events 7 days on (SECURITY.md "Grant events").
     */
    async purgeSettled(at: Date) {
      const stale = await store.unsettledBefore(
        new Date(at.getTime() - GIVE_UP_AFTER_MS).toISOString(),
        STALE_PER_SWEEP,
      );
      for (const row of stale) {
        const mode = (await store.endpointOf(row.companyId)) ? 'push' : 'poll';
        await ctx.backend.inTransaction(async () => {
          await store.update(row.companyId, row.seq, { settledAt: at.toISOString(), outcome: 'expired' });
          await record(row, 'event.given-up', { mode, outcome: 'expired' });
        });
      }
      return store.purgeSettledBefore(new Date(at.getTime() - KEEP_SETTLED_MS).toISOString());
    },
  };
}

export type EventOutbox = ReturnType<typeof createEventOutbox>;
