import { z } from 'zod';
import { vaultHandle } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { categorySchema } from '../policy/types.ts';
import { depositSchema, handleSchema, querySchema } from './routes.ts';
import { claimNameSchema } from '../claims/catalogue.ts';

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

export const claimAnswerSchema = z
  .object({
    claim_token: z.string().meta({
      description:
        'A JWT signed by the vault (typ customer-claim+jwt; verify it with /jwks.json): iss, aud (your client_id), sub (the vault handle), grant_id, claim {name, value, result}, iat, exp, jti. result is true, false, or null when the customer has not filled in the field',
    }),
    token_type: z.literal('customer-claim+jwt'),
    expires_in: z.number().int().positive(),
  })
  .meta({ description: 'The answer to one claim, signed; the value it was computed from never leaves the vault.' });

export const dataComponents = {
  CustomerData: dataReadSchema,
  DepositedRecord: depositResultSchema,
  ClaimAnswer: claimAnswerSchema,
};

const handle = { handle: handleSchema.meta({ description: "The customer's vault handle" }) };
const dpop = { dpop: { description: 'The DPoP proof (RFC 9449 §7) when the token is DPoP-bound' } };
const denied =
  "A revoked, expired or unknown grant is 401 invalid_token; a suspended grant, a field or action outside the grant (`READ_NOT_GRANTED`, `DEPOSIT_NOT_GRANTED`) or a policy refusal is 403 with `reasons[]`, and the refusal is audited. After 60 refusals in a minute, the company's data requests are 429 with Retry-After until the minute ends.";

export const dataOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/data/customers/:handle',
    operationId: 'readCustomerData',
    tags: ['Data'],
    security: SECURITY.dataToken,
    rateLimited: true,
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
    method: 'get',
    path: '/data/customers/:handle/claims/:name',
    operationId: 'answerClaim',
    tags: ['Data'],
    security: SECURITY.dataToken,
    rateLimited: true,
    pathParams: {
      ...handle,
      name: claimNameSchema.meta({ description: 'A claim your grant answers (see authorization_details)' }),
    },
    headers: dpop,
    summary: 'Ask a claim your grant answers (e.g. age_over), and get a signed answer instead of the value',
    description: `The grant's own parameter is used (age_over 18 if it was granted for 18). The answer is audited (the claim and its result, never the value) before it is signed and sent. A claim the grant does not answer is 403 \`CLAIM_NOT_GRANTED\`. ${denied}`,
    errors: [404, 503],
    responses: {
      200: {
        description: 'The signed answer',
        schema: claimAnswerSchema,
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
    rateLimited: true,
    pathParams: handle,
    headers: dpop,
    body: { schema: depositSchema },
    summary: "Deposit a record (e.g. a purchase) into the customer's vault",
    description: `Needs a grant with the deposit action covering the record's category. The content is sealed with the customer's data key. ${denied}`,
    errors: [404, 503],
    responses: { 201: { description: 'Deposited', schema: depositResultSchema } },
  },
];
