import type { CustomerCriteria } from '../policy/types.ts';
import type { Decide } from './decide.ts';
import { requestOfGrant, toGrant, type Grant, type Grants } from './service.ts';

export interface CriteriaImpact {
  /** Live grants of companies the proposal blocks: saving revokes them. */
  revoke: Array<{ grant: Grant; reasons: string[] }>;
  /** Live grants that fail the proposed criteria: saving suspends them. */
  suspend: Array<{ grant: Grant; reasons: string[] }>;
}

/**
 * The dry run of a criteria change: decides every live grant of the customer again under the proposed
 * criteria, exactly as saving would (criteria hooks in server/app.ts: a blocked company is revoked, the rest
 * re-evaluated at stage 'approve'), and changes nothing: no write, no audit event.
 */
export function createCriteriaPreview(d: { grants: Grants; decide: Decide }) {
  return async function preview(customerId: string, proposed: CustomerCriteria): Promise<CriteriaImpact> {
    const out: CriteriaImpact = { revoke: [], suspend: [] };
    for (const row of await d.grants.store.liveForCustomer(customerId)) {
      const grant = toGrant(row);
      if (proposed.blockedCompanies.includes(grant.companyId)) {
        out.revoke.push({ grant, reasons: ['You block this company.'] });
        continue;
      }
      const decision = await d.decide('approve', {
        customerId,
        companyId: grant.companyId,
        criteria: proposed,
        request: requestOfGrant(grant),
      });
      if (decision.allow) continue;
      const reasons = decision.reasons.filter((r) => r.effect !== 'require-approval').map((r) => r.message);
      out.suspend.push({ grant, reasons });
    }
    return out;
  };
}

export type CriteriaPreview = ReturnType<typeof createCriteriaPreview>;
