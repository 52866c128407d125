import type { AppContext } from '../context.ts';
import { rawStatement } from '../db/raw.ts';
import { Conflict, PolicyDenied } from '../http/errors.ts';
import type { Decide } from './decide.ts';
import { durationDaysOf, requestOfGrant, type Grant, type Grants } from './service.ts';

/**
 * Renewing a grant from its expiry notice (ARCHITECTURE.md, "After consent"). It goes through consent and policy
 * again: the customer asks for it from the dashboard, and the request is decided at the `approve` stage under the
 * company's current terms and the loaded policy, for the grant's original length. The grant keeps its id, so the
 * company's next token refresh carries the new end; its expiry notice is sent again before the new end.
 */
export function createRenewal(
  ctx: Pick<AppContext, 'backend'>,
  d: { grants: Grants; decide: Decide; termsVersionOf(companyId: string): Promise<number | undefined> },
) {
  const clearNotice = rawStatement(ctx.backend, `DELETE FROM grant_notices WHERE grant_id = ? AND kind = 'expiry'`);
  return async function renew(customerId: string, grantId: string, requestId?: string): Promise<Grant> {
    const g = await d.grants.getForCustomer(customerId, grantId);
    if (g.status !== 'active') throw new Conflict(`Only a live grant can be renewed; this one is ${g.status}`);
    const termsVersion = await d.termsVersionOf(g.companyId);
    if (termsVersion === undefined) throw new Conflict('The company can no longer receive data');
    const durationDays = durationDaysOf(g);
    const decision = await d.decide('approve', {
      customerId,
      companyId: g.companyId,
      request: requestOfGrant(g),
    });
    if (!decision.allow)
      throw new PolicyDenied('The grant does not pass the policy any more, so it cannot be renewed', {
        reasons: decision.reasons,
        policyVersion: decision.policyVersion,
      });
    const row = (await d.grants.store.byId(g.id))!;
    return ctx.backend.inTransaction(async () => {
      await clearNotice.run(g.id);
      return d.grants.renew(row, durationDays, termsVersion, decision.policyVersion, requestId);
    });
  };
}
