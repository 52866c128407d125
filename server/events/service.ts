import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import { createEventOutbox } from './outbox.ts';
import { createPolling } from './poll.ts';
import { createPushWorker } from './push.ts';

/**
 * Grant events for companies (ARCHITECTURE.md, "Grant events"): the outbox written inside each change's
 * transaction, the push worker (RFC 8935) and polling (RFC 8936). createApp wires the grant hook, starts the
 * worker and stops it on close.
 */
export function createEvents(ctx: AppContext, audit: AuditAppend) {
  const outbox = createEventOutbox(ctx, audit);
  const worker = createPushWorker(ctx, outbox);
  outbox.onEmitted(() => void worker.kick());
  return { outbox, worker, polling: createPolling(ctx, outbox) };
}

export type Events = ReturnType<typeof createEvents>;
