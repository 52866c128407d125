import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { SessionAuth } from '../customers/session-auth.ts';
import { managementClient } from '../grants/routes.ts';
import { parse } from '../http/validate.ts';
import { amountSchema, currencySchema } from './money.ts';
import { BENEFIT_KINDS, type Benefits } from './service.ts';

/** Bounds on what a company types (SECURITY.md, "The benefit ledger"). */
export const MAX_KEY_LENGTH = 200;
export const MAX_REFERENCE_LENGTH = 200;

const oneLine = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]+$/u, 'must be one line of text');

export const newBenefitSchema = z
  .strictObject({
    grant_id: z.uuid('not a grant id'),
    key: oneLine(MAX_KEY_LENGTH).meta({ description: 'Your idempotency key: a repeated key returns the first entry' }),
    kind: z.enum(BENEFIT_KINDS),
    amount: amountSchema.optional(),
    currency: currencySchema.optional(),
    reference: oneLine(MAX_REFERENCE_LENGTH)
      .optional()
      .meta({ description: 'Your reference (an order or voucher number); shown to the customer, never audited' }),
  })
  .refine((b) => (b.amount === undefined) === (b.currency === undefined), {
    message: 'amount and currency go together',
    path: ['currency'],
  })
  .refine((b) => b.kind !== 'payment' || b.amount !== undefined, {
    message: 'a payment states its amount and currency',
    path: ['amount'],
  });

export const benefitIdSchema = z.uuid('not a benefit id');
export const answerSchema = z.strictObject({ answer: z.enum(['confirmed', 'disputed']) });

/** Companies record benefits with a grant_management token; customers see and answer them from the dashboard. */
export function benefitRoutes(benefits: Benefits, auth: SessionAuth, requireManagementToken: RequestHandler): Router {
  const r = Router();
  r.post('/company/benefits', requireManagementToken, async (req, res) => {
    const companyId = managementClient(req);
    const b = parse(newBenefitSchema, req.body);
    const input = { grantId: b.grant_id, key: b.key, kind: b.kind, amount: b.amount, currency: b.currency };
    const { entry, created } = await benefits.record(companyId, { ...input, reference: b.reference }, String(req.id));
    res.status(created ? 201 : 200).json(entry);
  });
  r.get('/api/benefits', auth.requireCustomer, async (req, res) => {
    res.json({ benefits: await benefits.listForCustomer(auth.session(req).subjectId) });
  });
  r.post('/api/benefits/:id/answer', auth.requireCustomer, async (req, res) => {
    const id = parse(benefitIdSchema, req.params.id, 'path.id');
    const { answer } = parse(answerSchema, req.body);
    res.json(await benefits.answer(auth.session(req).subjectId, id, answer, String(req.id)));
  });
  return r;
}
