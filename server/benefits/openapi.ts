import { z } from 'zod';
import { isoTime } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { answerSchema, benefitIdSchema, newBenefitSchema } from './routes.ts';
import { BENEFIT_KINDS } from './service.ts';

export const benefitSchema = z
  .object({
    id: z.uuid(),
    grantId: z.uuid(),
    companyId: z.string(),
    kind: z.enum(BENEFIT_KINDS),
    amount: z.string().nullable().meta({ description: 'Decimal, in the currency' }),
    currency: z.string().nullable().meta({ description: 'ISO 4217' }),
    reference: z.string().nullable().meta({ description: "The company's reference, as it wrote it" }),
    status: z.enum(['recorded', 'confirmed', 'disputed']),
    createdAt: isoTime,
    answeredAt: isoTime.nullable(),
  })
  .meta({ description: 'One entry of the benefit ledger.' });

export const benefitComponents = { Benefit: benefitSchema };

export const benefitOperations: OperationSpec[] = [
  {
    method: 'post',
    path: '/company/benefits',
    operationId: 'recordBenefit',
    tags: ['Benefits'],
    security: SECURITY.managementToken,
    summary: 'Record a benefit you gave a customer under one of your grants',
    description:
      "Idempotent by `key`: a repeated key answers 200 with the first entry and records nothing. Another company's grant is a 404.",
    body: { schema: newBenefitSchema },
    errors: [404],
    responses: {
      201: { description: 'Recorded', schema: benefitSchema },
      200: { description: 'The entry first recorded under this key', schema: benefitSchema },
    },
  },
  {
    method: 'get',
    path: '/api/benefits',
    operationId: 'listMyBenefits',
    tags: ['Benefits'],
    security: SECURITY.session,
    summary: 'What companies say they gave me back',
    responses: { 200: { description: 'Newest first', schema: z.object({ benefits: z.array(benefitSchema) }) } },
  },
  {
    method: 'post',
    path: '/api/benefits/:id/answer',
    operationId: 'answerBenefit',
    tags: ['Benefits'],
    security: SECURITY.sessionWrite,
    pathParams: { id: benefitIdSchema },
    summary: 'Confirm or dispute a benefit entry',
    description: 'A dispute is recorded in the audit trail, where auditors see it.',
    body: { schema: answerSchema },
    errors: [404],
    responses: { 200: { description: 'The entry with its answer', schema: benefitSchema } },
  },
];
