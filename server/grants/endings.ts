import { LAPSED_REASON, type Actor, type Grant, type Grants } from './service.ts';

/** Why a grant ended, in a closed vocabulary (it reaches the audit trail and the company's deletion request). */
export const ENDING_CAUSES = [
  'revoked-by-customer',
  'revoked-by-company',
  'revoked',
  'expired',
  'lapsed',
  'company-disabled',
  'company-blocked',
  'account-deleted',
] as const;
export type EndingCause = (typeof ENDING_CAUSES)[number];

export interface GrantEnding {
  grant: Grant;
  cause: EndingCause;
  actor: Actor;
}

/**
 * The revocations wired in server/app.ts say why in the status reason; these are the ones that name a cause
 * of their own. Any other revocation is named after who did it.
 */
export const REVOCATION_CAUSES: Readonly<Record<string, EndingCause>> = {
  'The company was disabled': 'company-disabled',
  'You blocked this company': 'company-blocked',
  'The account was deleted': 'account-deleted',
};

function causeOf(g: Grant, actor: Actor): EndingCause {
  if (g.status === 'expired') return g.statusReason === LAPSED_REASON ? 'lapsed' : 'expired';
  const named = g.statusReason ? REVOCATION_CAUSES[g.statusReason] : undefined;
  if (named) return named;
  return actor.kind === 'customer'
    ? 'revoked-by-customer'
    : actor.kind === 'company'
      ? 'revoked-by-company'
      : 'revoked';
}

/**
 * The one place where grant endings are observed (ARCHITECTURE.md, "After consent"): revoked for any reason,
 * expired, or lapsed while suspended. Listeners push onto `hooks.onEnded`; they run inside the transaction
 * of the change, after the grant row and its audit event are written, so whatever they write commits with it.
 */
export function createGrantEndings(grants: Pick<Grants, 'hooks'>) {
  const hooks = { onEnded: [] as Array<(ending: GrantEnding) => void | Promise<void>> };
  grants.hooks.onChange.push(async (g, change, actor) => {
    if (change !== 'revoked' && change !== 'expired') return;
    const ending = { grant: g, cause: causeOf(g, actor), actor };
    for (const h of hooks.onEnded) await h(ending);
  });
  return { hooks };
}

export type GrantEndings = ReturnType<typeof createGrantEndings>;
