import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { CustomerStore } from './store.ts';

/**
 * A message in the customer's inbox: a title and a sentence, plus the server-made ids it refers to, and the
 * facts the sentence was made from (`facts`: catalogue field names, purpose ids, ISO dates) so the dashboard
 * can say it again in the customer's own locale. The title and text stay, for readers without the facts.
 */
export type InboxBody = { title: string; text: string; facts?: InboxFacts } & Record<string, unknown>;

/** What a message is about, as data: only server-made values and the company's current name. */
export interface InboxFacts {
  company: string;
  purpose?: string;
  fields?: string[];
  actions?: string[];
  /** ISO 8601 instant the grant ends. */
  until?: string;
  autoApproved?: boolean;
  /** The customer ended it themselves. */
  byCustomer?: boolean;
  /** The policy's sentence for why it was suspended or revoked, or why a request was refused. */
  reasons?: string[];
  /** A reminder: how often the company read since `since` (ISO 8601), the last reminder or the grant's start. */
  reads?: number;
  since?: string;
  /** A deletion request: the ISO 8601 instant the company had to delete by. */
  dueAt?: string;
  /** A full vault: the most records it keeps. */
  limit?: number;
  /** The claims a grant answers (catalogue names) and the record categories it covers, when it has any. */
  claims?: string[];
  records?: string[];
}

const longDate = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });

/** "30 December 2026": the stored text's date in words; the dashboard re-formats it in the customer's locale. */
export function inWords(iso: string): string {
  return longDate.format(new Date(iso));
}

/**
 * The customer's inbox: other modules post messages here inside the transaction of the change they
 * report, so a message exists exactly when its change committed.
 */
export function createInbox(ctx: Pick<AppContext, 'clock'>, store: CustomerStore) {
  async function post(customerId: string, kind: string, body: InboxBody): Promise<void> {
    await store.insertInbox({
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
    async requestPending(
      customerId: string,
      request: { id: string; companyId: string },
      companyName: string,
    ): Promise<void> {
      await post(customerId, 'request.pending', {
        title: 'A company asks for access',
        text: `${companyName} asks for access to your data. Review it in your inbox.`,
        facts: { company: companyName } satisfies InboxFacts,
        requestId: request.id,
        companyId: request.companyId,
      });
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
