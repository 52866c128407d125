import { z } from 'zod';
import { vaultHandle } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { recordCategorySchema } from './record-catalogue.ts';
import { hideSchema, recordIdSchema } from './customer-routes.ts';
import { depositSchema, handleSchema, querySchema, recordsQuerySchema } from './routes.ts';
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
  .object({
    id: z.uuid(),
    category: recordCategorySchema,
    grantId: z.uuid(),
    depositedAt: z.iso.datetime(),
    digest: z.string().meta({ description: 'sha-256: and the base64url SHA-256 of the RFC 8785 canonical content' }),
  })
  .meta({
    description: "The deposited record, sealed in the customer's vault. A retry with the same key answers the same.",
  });

const sourceSchema = z.object({
  company: z.string().meta({ description: 'The depositing company (client_id)' }),
  name: z.string().meta({ description: "The company's name" }),
  device: z.string().optional().meta({ description: 'The depositing device, if a device deposited it' }),
});

export const sharedRecordSchema = z
  .object({
    id: z.uuid(),
    category: recordCategorySchema,
    content: z.record(z.string(), z.unknown()),
    source: sourceSchema,
    depositedAt: z.iso.datetime(),
    digest: z.string(),
    provenance: z.string().optional().meta({
      description:
        'Compact JWS (typ record-provenance+jwt) by the vault, verifiable with /jwks.json: { iss, sub (handle), record, category, digest, source, grant, depositedAt }',
    }),
  })
  .meta({ description: 'One record from any source the grant allows, with its provenance.' });

export const recordsReadSchema = z
  .object({
    grantId: z.uuid(),
    customer: vaultHandle,
    records: z.array(sharedRecordSchema),
    next: z.string().optional().meta({ description: 'The cursor of the next page, when there may be one' }),
  })
  .meta({ description: "The customer's records, newest first." });
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
  SharedRecord: sharedRecordSchema,
  CustomerRecords: recordsReadSchema,
  ClaimAnswer: claimAnswerSchema,
};

const handle = { handle: handleSchema.meta({ description: "The customer's vault handle" }) };
const dpop = { dpop: { description: 'The DPoP proof (RFC 9449 §7) when the token is DPoP-bound' } };
const denied =
  "A revoked, expired or unknown grant is 401 invalid_token; a suspended grant, a field or action outside the grant (`READ_NOT_GRANTED`, `DEPOSIT_NOT_GRANTED`) or a policy refusal is 403 with `reasons[]`, and the refusal is audited. After 60 refusals in a minute, the company's data requests are 429 with Retry-After until the minute ends.";

const myRecordsSchema = z
  .object({
    records: z.array(
      z.object({
        id: z.uuid(),
        category: z.string(),
        categoryLabel: z.string(),
        description: z.string().meta({ description: 'What the record says, in words' }),
        content: z.unknown(),
        source: z.object({
          company: z.string(),
          name: z.string(),
          device: z.string().optional().meta({ description: 'The depositing device, if a device deposited it' }),
          product: z.string().optional().meta({ description: 'The device\'s product_name ("toothbrush")' }),
          label: z.string().meta({ description: 'In words: "from your toothbrush, by Brushco" or "from Shop A"' }),
        }),
        depositedAt: z.iso.datetime(),
        hidden: z.boolean(),
        readers: z.array(z.string()).meta({ description: 'Names of the companies whose live grants can read it' }),
      }),
    ),
  })
  .meta({ description: "The customer's records." });

export const dataOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/api/records',
    operationId: 'listMyRecords',
    tags: ['Profile'],
    security: SECURITY.session,
    summary: 'My records: what each says in words, who deposited it, which companies can read it',
    responses: { 200: { description: 'Newest first', schema: myRecordsSchema } },
  },
  {
    method: 'put',
    path: '/api/records/:id/hidden',
    operationId: 'hideMyRecord',
    tags: ['Profile'],
    security: SECURITY.sessionWrite,
    pathParams: { id: recordIdSchema },
    body: { schema: hideSchema },
    summary: 'Hide a record from all sharing (hidden: true), or share it again',
    errors: [404],
    responses: { 204: { description: 'Done' } },
  },
  {
    method: 'delete',
    path: '/api/records/:id',
    operationId: 'deleteMyRecord',
    tags: ['Profile'],
    security: SECURITY.sessionWrite,
    pathParams: { id: recordIdSchema },
    summary: 'Delete a record: its sealed row is destroyed; the audit trail keeps only that it existed',
    errors: [404],
    responses: { 204: { description: 'Deleted' } },
  },

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
    summary: "Deposit a typed record (a purchase, a service, a device) into the customer's vault",
    description: `Needs a grant with the deposit action covering the record's category (through a field of its category, or a \`customer_records\` entry). The content must match the category's schema (see the README) and be at most 16 KiB; it is sealed with the customer's data key with a vault signature over its digest and provenance. An \`Idempotency-Key\` header (or \`idempotencyKey\` field) makes a retry store once and answer the same; the same key with other content is 409. A vault that holds 20,000 records takes no more: 409 of type \`records-full\`. ${denied}`,
    errors: [404, 409, 503],
    responses: {
      201: { description: 'Deposited (or the earlier answer to the same key)', schema: depositResultSchema },
    },
  },
  {
    method: 'get',
    path: '/data/customers/:handle/records',
    operationId: 'readCustomerRecords',
    tags: ['Data'],
    security: SECURITY.dataToken,
    rateLimited: true,
    pathParams: handle,
    query: recordsQuerySchema,
    headers: dpop,
    summary: "Read the customer's records from every source your grant allows",
    description: `Needs a grant with the read action and a \`customer_records\` authorization_details entry. Newest first; \`category\` narrows to some of the granted categories, \`source\` to one company, \`since\` to records deposited since then (not before the grant's window), \`cursor\` continues from \`next\`. Records the customer hid, records from companies the customer never shares, and records of things that happened before the window are left out. Each record carries its source's name and a vault JWS over its digest and provenance. The read is audited with the record ids and sources. A category outside the grant (\`RECORDS_NOT_GRANTED\`), a \`since\` before the window (\`OUTSIDE_WINDOW\`) or a source outside the grant (\`OUTSIDE_SOURCES\`) is 403, audited. ${denied}`,
    errors: [404, 503],
    responses: {
      200: {
        description: 'The records',
        schema: recordsReadSchema,
        headers: { 'cache-control': { description: 'no-store', required: true } },
      },
    },
  },
];
