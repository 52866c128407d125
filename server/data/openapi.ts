import { z } from 'zod';
import { vaultHandle } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { categorySchema } from '../policy/types.ts';
import { depositSchema, handleSchema, querySchema } from './routes.ts';

export const dataReadSchema = z
  .object({
    grantId: z.uuid(),
    customer: vaultHandle,
    purpose: z.string(),
    fields: z
      .record(z.string(), z.unknown())
      .meta({ description: 'Field name → value, only for fields the grant covers and the customer has filled in' }),
  })
  .meta({ description: 'The granted fields of one customer.' });

export const depositResultSchema = z
  .object({ id: z.uuid(), category: categorySchema, grantId: z.uuid() })
  .meta({ description: "The deposited record, sealed in the customer's vault." });

export const dataComponents = { CustomerData: dataReadSchema, DepositedRecord: depositResultSchema };

const handle = { handle: handleSchema.meta({ description: "The customer's vault handle" }) };
const dpop = { dpop: { description: 'The DPoP proof (RFC 9449 §7) when the token is DPoP-bound' } };
const denied =
  'A revoked, expired or unknown grant is 401 invalid_token; a suspended grant, a field outside the grant or a policy refusal is 403 with `reasons[]`, and the refusal is audited.';

export const dataOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/data/customers/:handle',
    operationId: 'readCustomerData',
    tags: ['Data'],
    security: SECURITY.dataToken,
    pathParams: handle,
    query: querySchema,
    headers: dpop,
    summary: 'Read the fields your grant covers',
    description: `\`fields\` is a comma-separated subset of the grant's fields; all of them when absent. The read is audited (fields named, values never) before the answer leaves. ${denied}`,
    errors: [404, 503],
    responses: {
      200: {
        description: 'The fields',
        schema: dataReadSchema,
        headers: { 'cache-control': { description: 'no-store', required: true } },
      },
    },
  },
  {
    method: 'post',
    path: '/data/customers/:handle/records',
    operationId: 'depositRecord',
    tags: ['Data'],
    security: SECURITY.dataToken,
    pathParams: handle,
    headers: dpop,
    body: { schema: depositSchema },
    summary: "Deposit a record (e.g. a purchase) into the customer's vault",
    description: `Needs a grant with the deposit action covering the record's category. The content is sealed with the customer's data key. ${denied}`,
    errors: [404, 503],
    responses: { 201: { description: 'Deposited', schema: depositResultSchema } },
  },
];
