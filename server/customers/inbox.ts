import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { CustomerStore } from './store.ts';

/** A message in the customer's inbox: a title and a sentence, plus the server-made ids it refers to. */
export type InboxBody = { title: string; text: string } & Record<string, unknown>;

/**
 * The customer's inbox: other modules post messages here inside the transaction of the change they
 * report, so a message exists exactly when its change committed.
 */
export function createInbox(ctx: Pick<AppContext, 'clock'>, store: CustomerStore) {
  function post(customerId: string, kind: string, body: InboxBody): void {
    store.insertInbox({
      id: randomUUID(),
      customerId,
      kind,
      body: JSON.stringify(body),
      createdAt: ctx.clock.now().toISOString(),
    });
  }

  return {
    post,
    /** A back-channel request waits in the dashboard: the customer is told who asks (the company's name now). */
    requestPending(customerId: string, request: { id: string; companyId: string }, companyName: string): void {
      post(customerId, 'request.pending', {
        title: 'A company asks for access',
        text: `${companyName} asks for access to your data. Review it in your inbox.`,
        requestId: request.id,
        companyId: request.companyId,
      });
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
