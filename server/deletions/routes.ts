import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { SessionAuth } from '../customers/session-auth.ts';
import { managementClient } from '../grants/routes.ts';
import { parse } from '../http/validate.ts';
import type { DeletionRequest, Deletions } from './service.ts';

export const deletionIdSchema = z.uuid('not a deletion request id');
export const deletionStatusSchema = z.enum(['open', 'overdue', 'confirmed']);
export const deletionListQuerySchema = z.strictObject({ status: deletionStatusSchema.optional() });
export const auditorDeletionsQuerySchema = z.strictObject({
  status: deletionStatusSchema.default('overdue'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
/** What the company may keep under a legal obligation, and until when (RFC 3339 date or date-time). */
export const confirmDeletionSchema = z.strictObject({
  kept: z
    .strictObject({
      fields: z.array(z.string().max(64)).min(1).max(50),
      until: z.union([z.iso.datetime({ offset: true }), z.iso.date()]),
    })
    .optional(),
});

/** The company's view: ids, catalogue names, a closed cause, times. */
export function presentDeletion(r: DeletionRequest) {
  return {
    id: r.id,
    grantId: r.grantId,
    cause: r.cause,
    fields: r.fields,
    records: r.records,
    status: r.status,
    requestedAt: r.requestedAt,
    dueAt: r.dueAt,
    overdueAt: r.overdueAt,
    confirmedAt: r.confirmedAt ?? null,
    kept: r.keptUntil ? { fields: r.keptFields ?? [], until: r.keptUntil } : null,
    receiptId: r.receiptId,
  };
}

/**
 * Deletion requests: the company lists and confirms its own (grant_management token), the customer sees theirs
 * per company, the auditor sees them across companies by status (ARCHITECTURE.md, "After consent").
 */
export function deletionRoutes(
  deletions: Deletions,
  auth: SessionAuth,
  requireManagementToken: RequestHandler,
  companyName: (companyId: string) => Promise<string>,
): Router {
  const r = Router();
  r.get('/company/deletions', requireManagementToken, async (req, res) => {
    const { status } = parse(deletionListQuerySchema, req.query, 'query');
    res.json({ deletions: (await deletions.listForCompany(managementClient(req), status)).map(presentDeletion) });
  });
  r.get('/company/deletions/:id', requireManagementToken, async (req, res) => {
    const id = parse(deletionIdSchema, req.params.id, 'path.id');
    res.json(presentDeletion(await deletions.getForCompany(managementClient(req), id)));
  });
  r.post('/company/deletions/:id', requireManagementToken, async (req, res) => {
    const companyId = managementClient(req);
    const id = parse(deletionIdSchema, req.params.id, 'path.id');
    const { kept } = parse(confirmDeletionSchema, req.body ?? {});
    res.json(presentDeletion(await deletions.confirm(companyId, id, kept, String(req.id))));
  });

  const withCompany = async (d: DeletionRequest) => ({
    ...presentDeletion(d),
    company: { id: d.companyId, name: await companyName(d.companyId) },
  });
  r.get('/api/deletions', auth.requireCustomer, async (req, res) => {
    res.json({
      deletions: await Promise.all((await deletions.listForCustomer(auth.session(req).subjectId)).map(withCompany)),
    });
  });
  r.get('/api/audit/deletions', auth.requireAuditor, async (req, res) => {
    const { status, limit } = parse(auditorDeletionsQuerySchema, req.query, 'query');
    res.json({
      deletions: await Promise.all(
        (await deletions.listForAuditor(status, limit)).map(async (d) => ({
          ...(await withCompany(d)),
          customerId: d.customerId,
        })),
      ),
    });
  });
  return r;
}
