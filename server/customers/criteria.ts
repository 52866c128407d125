import type { AppContext } from '../context.ts';
import { NotFound } from '../http/errors.ts';
import { customerCriteriaSchema, type CustomerCriteria } from '../policy/types.ts';
import type { CustomerStore } from './store.ts';

/**
 * The customer's criteria: "meet them and I will tell you everything; don't and I will lock you out".
 * Blocking a company revokes its grants at once (hook), so its live tokens stop on their next use.
 */
export function createCriteria(ctx: AppContext, store: CustomerStore) {
  const hooks = {
    onBlocked: [] as Array<(customerId: string, companyId: string) => void | Promise<void>>,
    /** After any change: live grants are decided again under the new criteria. */
    onChanged: [] as Array<(customerId: string) => void | Promise<void>>,
  };
  // Parsed criteria keyed by their stored text: the read path asks on every request, the text rarely changes.
  const parsed = new Map<string, CustomerCriteria>();
  async function get(customerId: string): Promise<CustomerCriteria> {
    const text = await store.criteriaOf(customerId);
    if (text === undefined) throw new NotFound('No such customer');
    let out = parsed.get(text);
    if (!out) {
      out = customerCriteriaSchema.parse(JSON.parse(text));
      if (parsed.size > 10_000) parsed.clear();
      parsed.set(text, out);
    }
    return out;
  }
  return {
    hooks,
    get,
    set(customerId: string, next: CustomerCriteria): Promise<CustomerCriteria> {
      return ctx.backend.inTransaction(async () => {
        const before = await get(customerId);
        await store.setCriteria(customerId, JSON.stringify(next));
        for (const companyId of next.blockedCompanies.filter((x) => !before.blockedCompanies.includes(x))) {
          for (const h of hooks.onBlocked) await h(customerId, companyId);
        }
        for (const h of hooks.onChanged) await h(customerId);
        return next;
      });
    },
  };
}

export type Criteria = ReturnType<typeof createCriteria>;
