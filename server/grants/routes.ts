import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { SessionAuth } from '../customers/session-auth.ts';
import { OAuthError } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import { statusReasonForCompany } from '../policy/index.ts';
import { actionSchema } from '../policy/types.ts';
import type { GrantOverview } from './overview.ts';
import type { Grant, Grants } from './service.ts';

export const idSchema = z.uuid('not a grant id');
export const narrowSchema = z
  .strictObject({
    fields: z.array(z.string().max(64)).min(1).max(50).optional(),
    actions: z.array(actionSchema).min(1).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((o) => Object.keys(o).length > 0, 'say what to narrow: fields, actions or expiresAt');

export interface GrantPresenter {
  present(g: Grant): Promise<object>;
  reapprove(customerId: string, grantId: string, requestId?: string): Promise<Grant>;
  /** Renew a live grant from its expiry notice: consent and policy again (server/grants/renew.ts). */
  renew(customerId: string, grantId: string, requestId?: string): Promise<Grant>;
  /** The customer's page: per company activity and terms, per suspended grant whether re-approval would pass. */
  overview: GrantOverview;
}

/** Customers manage their grants from the dashboard; companies manage theirs with a grant_management token. */
/** The company behind a grant_management token (client_credentials, RFC 6749 §4.4). */
export function managementClient(req: Parameters<RequestHandler>[0]): string {
  const t = req.token!;
  if (t.claims.scope !== 'grant_management')
    throw new OAuthError(
      403,
      'insufficient_scope',
      'this API needs a grant_management token (client_credentials)',
      t.scheme,
    );
  return t.claims.client_id;
}

export function grantRoutes(
  grants: Grants,
  auth: SessionAuth,
  requireManagementToken: RequestHandler,
  presenter: GrantPresenter,
): Router {
  const r = Router();
  const me = (req: Parameters<RequestHandler>[0]) => auth.session(req).subjectId;

  // The customer's own view: whether a suspended grant's re-approval would pass, so the page offers only what works.
  const forCustomer = async (customerId: string, g: Grant) => ({
    ...((await presenter.present(g)) as object),
    ...(await presenter.overview.reapproval(customerId, g)),
  });
  r.get('/api/grants', auth.requireCustomer, async (req, res) => {
    const customerId = me(req);
    const list = await grants.listForCustomer(customerId);
    res.json({
      grants: await Promise.all(list.map((g) => forCustomer(customerId, g))),
      companies: await presenter.overview.companies(customerId, list),
    });
  });
  r.get('/api/grants/:id', auth.requireCustomer, async (req, res) => {
    const g = await grants.getForCustomer(me(req), parse(idSchema, req.params.id, 'path.id'));
    res.json(await forCustomer(me(req), g));
  });
  r.patch('/api/grants/:id', auth.requireCustomer, async (req, res) => {
    const id = parse(idSchema, req.params.id, 'path.id');
    res.json(await presenter.present(await grants.narrow(me(req), id, parse(narrowSchema, req.body), String(req.id))));
  });
  r.post('/api/grants/:id/reapprove', auth.requireCustomer, async (req, res) => {
    const id = parse(idSchema, req.params.id, 'path.id');
    res.json(await presenter.present(await presenter.reapprove(me(req), id, String(req.id))));
  });
  r.post('/api/grants/:id/renew', auth.requireCustomer, async (req, res) => {
    const id = parse(idSchema, req.params.id, 'path.id');
    res.json(await presenter.present(await presenter.renew(me(req), id, String(req.id))));
  });
  r.delete('/api/grants/:id', auth.requireCustomer, async (req, res) => {
    const id = parse(idSchema, req.params.id, 'path.id');
    await grants.revoke(
      id,
      { customerId: me(req) },
      { kind: 'customer', id: me(req) },
      'Revoked by the customer',
      String(req.id),
    );
    res.status(204).end();
  });

  const company = managementClient;
  // The stored status reason is written for the customer and may quote their criteria (SECURITY.md).
  const toCompany = async (g: Grant) => ({
    ...((await presenter.present(g)) as object),
    statusReason: statusReasonForCompany(g.status),
  });
  r.get('/company/grants', requireManagementToken, async (req, res) => {
    res.json({ grants: await Promise.all((await grants.listForCompany(company(req))).map(toCompany)) });
  });
  r.get('/company/grants/:id', requireManagementToken, async (req, res) => {
    res.json(await toCompany(await grants.getForCompany(company(req), parse(idSchema, req.params.id, 'path.id'))));
  });
  r.delete('/company/grants/:id', requireManagementToken, async (req, res) => {
    const companyId = company(req);
    await grants.revoke(
      parse(idSchema, req.params.id, 'path.id'),
      { companyId },
      { kind: 'company', id: companyId },
      'Revoked by the company',
      String(req.id),
    );
    res.status(204).end();
  });
  return r;
}
