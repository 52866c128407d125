import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { Reason } from '../policy/types.ts';
import { FIELD_CATALOGUE, isFieldName } from './field-catalogue.ts';
import type { InboxFacts } from './inbox.ts';
import type { CustomerStore } from './store.ts';

export const REFUSED_KIND = 'request.refused';

/**
 * Tells the customer in their inbox when their own criteria refused a company's request for them, with the
 * reason in words and a link to change the criteria. One unread message per company at a time: a company
 * that keeps asking adds nothing until the customer has read the last one.
 */
export function createDecisionNotices(
  ctx: AppContext,
  d: { customerStore: CustomerStore; companyName: (id: string) => Promise<string> },
) {
  return {
    async refused(
      customerId: string,
      companyId: string,
      request: { purpose: string; fields: string[] },
      reasons: Reason[],
    ) {
      const own = reasons.filter((r) => r.source === 'customer' && r.effect === 'deny');
      if (!own.length || (await d.customerStore.hasUnreadAbout(customerId, REFUSED_KIND, companyId))) return;
      const name = await d.companyName(companyId);
      const what = request.fields.map((f) => (isFieldName(f) ? FIELD_CATALOGUE[f].label.toLowerCase() : f));
      await d.customerStore.insertInbox({
        id: randomUUID(),
        customerId,
        kind: REFUSED_KIND,
        body: JSON.stringify({
          title: `${name}'s request was refused by your criteria`,
          text: `${name} asked for your ${what.join(', ')} for ${request.purpose.replace(/-/g, ' ')}. The vault refused it for you: ${own.map((r) => r.message).join(' ')}`,
          facts: {
            company: name,
            purpose: request.purpose,
            fields: request.fields,
            reasons: own.map((r) => r.message),
          } satisfies InboxFacts,
          companyId,
          criteria: true,
        }),
        createdAt: ctx.clock.now().toISOString(),
      });
    },
  };
}

export type DecisionNotices = ReturnType<typeof createDecisionNotices>;
