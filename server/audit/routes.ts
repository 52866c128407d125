import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { SessionAuth } from '../customers/session-auth.ts';
import { managementClient } from '../grants/routes.ts';
import { parse } from '../http/validate.ts';
import { fieldNameSchema } from '../customers/field-catalogue.ts';
import { AUDIT_ACTIONS, type AuditEvent } from './chain/event.ts';
import { learnedFromDetail } from '../claims/catalogue.ts';
import { ACTIVITY_KINDS, type ActivityKind } from './queries.ts';
import type { Receipts } from './checkpoints/receipts.ts';
import type { AuditService } from './service.ts';

export const auditFilterSchema = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  // Ids only (the filter is itself audited, and the trail names no personal values): companies and
  // customers are identified by UUIDs.
  company: z.uuid('a company id (UUID)').optional(),
  customer: z.uuid('a customer id (UUID)').optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  decision: z.enum(['allow', 'deny']).optional(),
});
export const auditEventsQuerySchema = auditFilterSchema.extend({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const auditExportQuerySchema = auditFilterSchema.extend({ format: z.enum(['jsonl', 'csv']).default('jsonl') });
// A day (the dashboard's date inputs) or an instant; `to` is exclusive, so a day means up to its end.
const dayOrInstant = (end: boolean) =>
  z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], 'a date (YYYY-MM-DD) or a date and time')
    .transform((v) =>
      v.length === 10
        ? new Date(Date.parse(`${v}T00:00:00Z`) + (end ? 86_400_000 : 0)).toISOString()
        : new Date(v).toISOString(),
    );
// The customer's activity filters: closed lists and ids only, never echoed into the audit trail.
export const readsQuerySchema = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  company: z.uuid('a company from the list').optional(),
  field: fieldNameSchema.optional(),
  kind: z.enum(Object.keys(ACTIVITY_KINDS) as [ActivityKind, ...ActivityKind[]], 'a kind from the list').optional(),
  from: dayOrInstant(false).optional(),
  to: dayOrInstant(true).optional(),
});
export const receiptIdSchema = z.uuid('not a receipt id');
export const companyReceiptsQuerySchema = z.strictObject({ grant_id: z.uuid().optional() });

const normalise = <T extends { from?: string; to?: string }>(f: T): T => ({
  ...f,
  ...(f.from ? { from: new Date(f.from).toISOString() } : {}),
  ...(f.to ? { to: new Date(f.to).toISOString() } : {}),
});

/** The name a company had at a time (ISO): past events show the name it had then. */
type Names = (companyId: string, at: string) => Promise<string>;

/** The auditor API, the customer's view of reads and receipts, and companies' receipts. */
export function auditRoutes(
  audit: AuditService,
  receipts: Receipts,
  auth: SessionAuth,
  requireManagementToken: RequestHandler,
  companyName: Names,
  /** A connected product's name (RFC 8628), for the customer's activity: "Your toothbrush, by Brushco". */
  productOf: (companyId: string) => Promise<string | undefined> = async () => undefined,
): Router {
  const r = Router();
  const productLabel = async (id: string, name: string) => {
    const product = await productOf(id);
    return { id, name, ...(product ? { product, label: `Your ${product}, by ${name}` } : {}) };
  };
  const me = (req: Parameters<RequestHandler>[0]) => auth.session(req).subjectId;
  const presentReceipt = async (x: Awaited<ReturnType<Receipts['forCustomer']>>[number]) => ({
    id: x.id,
    grantId: x.grantId,
    kind: x.kind,
    createdAt: x.createdAt,
    company: { id: x.companyId, name: await companyName(x.companyId, x.createdAt) },
    jws: x.jws,
  });
  const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as unknown;

  r.get('/api/audit/events', auth.requireAuditor, async (req, res) => {
    const q = normalise(parse(auditEventsQuerySchema, req.query, 'query'));
    const { before, limit, ...filter } = q;
    const page = await audit.events(filter, before, limit);
    // Names beside the ids, each as it was at its event (the events themselves stay as chained).
    const companies: Record<string, string> = {};
    for (const e of page.events) if (e.companyId) companies[e.companyId] ??= await companyName(e.companyId, e.time);
    res.json({ ...page, companies });
  });

  r.get('/api/audit/export', auth.requireAuditor, async (req, res) => {
    const { format, ...filter } = normalise(parse(auditExportQuerySchema, req.query, 'query'));
    res.status(200).type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8');
    res.set(
      'content-disposition',
      `attachment; filename="vault-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}"`,
    );
    res.set('cache-control', 'no-store');
    await audit.exportTo(res, filter, format, { kind: 'auditor', id: me(req) }, String(req.id));
    res.end();
  });

  r.get('/api/audit/checkpoints', auth.requireAuditor, async (_req, res) => {
    res.json({ checkpoints: await audit.checkpoints() });
  });
  r.post('/api/audit/checkpoints', auth.requireAuditor, async (_req, res) => {
    const cp = await audit.checkpoint();
    res.status(cp.created ? 201 : 200).json(cp);
  });

  r.get('/api/reads', auth.requireCustomer, async (req, res) => {
    const q = parse(readsQuerySchema, req.query, 'query');
    const { before, limit, kind, ...filter } = q;
    const page = await audit.activityOf(me(req), { ...filter, ...(kind ? { kinds: [kind] } : {}) }, before, limit);
    res.json({
      reads: await Promise.all(
        page.reads.map(async (e: AuditEvent) => ({
          seq: e.seq,
          time: e.time,
          action: e.action,
          company: await productLabel(e.companyId ?? '', await companyName(e.companyId ?? '', e.time)),
          fields: e.fields ?? [],
          purpose: e.purpose,
          grantId: e.grantId,
          decision: e.decision,
          reasons: e.reasons ?? [],
          ...(typeof e.detail?.category === 'string' ? { category: e.detail.category } : {}),
          // A claim answer says what the company learned, in words: "learned that you are over 18".
          ...(e.action === 'data.claim' ? { learned: learnedFromDetail(e.detail) } : {}),
          // Decided for the customer by their own criteria (or the platform) before they saw the request.
          ...(e.action === 'grant.denied' || e.action === 'grant.approved' ? { automatic: true } : {}),
        })),
      ),
      refusals: await Promise.all(
        page.refusals.map(async ({ companyId, ...g }) => ({
          company: { id: companyId, name: await companyName(companyId ?? '', g.last) },
          ...g,
        })),
      ),
      ...(page.next ? { next: page.next } : {}),
    });
  });

  r.get('/api/receipts', auth.requireCustomer, async (req, res) => {
    res.json({ receipts: await Promise.all((await receipts.forCustomer(me(req))).map(presentReceipt)) });
  });
  r.get('/api/receipts/:id', auth.requireCustomer, async (req, res) => {
    const x = await receipts.oneForCustomer(me(req), parse(receiptIdSchema, req.params.id, 'path.id'));
    res.json({ ...(await presentReceipt(x)), claims: claimsOf(x.jws) });
  });

  const company = managementClient;
  r.get('/company/receipts', requireManagementToken, async (req, res) => {
    const q = parse(companyReceiptsQuerySchema, req.query, 'query');
    res.json({
      receipts: await Promise.all((await receipts.forCompany(company(req), q.grant_id)).map(presentReceipt)),
    });
  });
  r.get('/company/receipts/:id', requireManagementToken, async (req, res) => {
    const x = await receipts.oneForCompany(company(req), parse(receiptIdSchema, req.params.id, 'path.id'));
    res.json({ ...(await presentReceipt(x)), claims: claimsOf(x.jws) });
  });
  return r;
}
