/** The reason codes of the ledger's rules (policies/rules.yaml): the only refusals the benefit check acts on. */
export const BENEFIT_CHECK_CODES: ReadonlySet<string> = new Set([
  'BENEFIT_NOT_DELIVERED',
  'BENEFIT_NOT_DELIVERED_IN_CUSTOMER_PERIOD',
]);

/** At most once an hour by the injected clock (SECURITY.md, "The benefit ledger"): it decides every live grant. */
export const BENEFIT_CHECK_INTERVAL_MS = 3_600_000;

/**
 * The sweep's benefit check: live grants whose company has not delivered what it promised are suspended through
 * the grants' own re-evaluation (server/grants/policy-hooks.ts), which tells the customer in their inbox. The
 * last run is kept in memory: another server checking sooner does no harm, since suspension is idempotent.
 */
export function createBenefitCheck(suspendUndelivered: () => Promise<number>) {
  let last = -Infinity;
  return async (now: Date): Promise<number | void> => {
    if (now.getTime() - last < BENEFIT_CHECK_INTERVAL_MS) return;
    last = now.getTime();
    return suspendUndelivered();
  };
}
