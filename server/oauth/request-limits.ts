import type { AppContext } from '../context.ts';
import { TooManyRequests } from '../http/errors.ts';
import type { Budget, RequestBudgets } from '../http/request-budget.ts';
import { sameAccess, type AccessRequest } from './details.ts';
import type { AuthRequestRow, OAuthStore } from './store.ts';

/**
 * How many authorization requests the vault takes in (SECURITY.md "Floods and bounds"). Each of them
 * writes a row, and a back-channel request also writes to the customer's inbox: without these a single
 * company could grow the database and the customer's pending list without bound.
 */
export const REQUEST_LIMITS = {
  /** Back-channel requests of one company, to all customers together. */
  backchannelPerCompany: { limit: 120, windowSeconds: 60 },
  /** Back-channel requests of one company to one customer, refused ones included. */
  backchannelPerCompanyAndCustomer: { limit: 10, windowSeconds: 3600 },
  /** Back-channel requests waiting for one customer's answer, from all companies together. */
  pendingPerCustomer: 20,
  /** Device authorization requests (RFC 8628 §3.1) of one company: each stores a row until it expires. */
  devicePerCompany: { limit: 120, windowSeconds: 60 },
  /** Pushed authorization requests (RFC 9126) of one company. */
  parPerCompany: { limit: 300, windowSeconds: 60 },
  /** GET /authorize without a pushed request (each stores one), for one company, whoever calls. */
  authorizePerCompany: { limit: 300, windowSeconds: 60 },
  /** GET /authorize by one signed-in customer (a hostile page can send the customer's browser there). */
  authorizePerCustomer: { limit: 60, windowSeconds: 600 },
  /** GET /authorize without a pushed request and without a session, per client address (in memory: see http/rate-limit.ts). */
  anonymousAuthorizePerIp: { limit: 30, windowSeconds: 60 },
} satisfies Record<string, Budget | number>;

export function createRequestLimits(ctx: AppContext, d: { budgets: RequestBudgets; store: OAuthStore }) {
  const L = REQUEST_LIMITS;
  return {
    backchannelByCompany: (companyId: string) =>
      d.budgets.take(`bc:${companyId}`, L.backchannelPerCompany, 'back-channel requests from this client'),
    backchannelToCustomer: (companyId: string, customerId: string) =>
      d.budgets.take(
        `bc:${companyId}:${customerId}`,
        L.backchannelPerCompanyAndCustomer,
        'back-channel requests from this client to this customer',
      ),
    deviceByCompany: (companyId: string) =>
      d.budgets.take(`device:${companyId}`, L.devicePerCompany, 'device authorization requests from this client'),
    par: (companyId: string) => d.budgets.take(`par:${companyId}`, L.parPerCompany, 'pushed requests from this client'),
    authorizeWithoutPar: (companyId: string) =>
      d.budgets.take(`authz:${companyId}`, L.authorizePerCompany, 'authorization requests for this client'),
    authorizeByCustomer: (customerId: string) =>
      d.budgets.take(`authz-customer:${customerId}`, L.authorizePerCustomer, 'authorization requests'),

    /**
     * Before a back-channel request is left waiting: the identical request (same company, customer and
     * access, in whatever order it lists its fields and actions) still waiting is returned instead, so a repeat adds no row and no inbox message; a new one
     * is refused while the customer already has the maximum waiting (429 until the oldest expires).
     */
    async admitPending(
      companyId: string,
      customerId: string,
      request: AccessRequest,
    ): Promise<AuthRequestRow | undefined> {
      const now = ctx.clock.now().toISOString();
      const waiting = (await d.store.pendingForCustomer(customerId)).filter((r) => r.expiresAt > now);
      const same = waiting.find(
        (r) => r.companyId === companyId && sameAccess(JSON.parse(r.details) as AccessRequest, request),
      );
      if (same) return same;
      if (waiting.length < L.pendingPerCustomer) return undefined;
      const first = waiting.map((r) => r.expiresAt).sort()[0]!;
      throw new TooManyRequests(
        'Too many requests are waiting for this customer; try again later',
        Math.max(1, Math.ceil((Date.parse(first) - Date.parse(now)) / 1000)),
      );
    },
  };
}

export type RequestLimits = ReturnType<typeof createRequestLimits>;
