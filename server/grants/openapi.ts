import { z } from 'zod';
import { claimNameSchema } from '../claims/catalogue.ts';
import { companyRefSchema, isoTime, productFields } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { actionSchema, customerCriteriaSchema } from '../policy/types.ts';
import { idSchema, narrowSchema } from './routes.ts';

/** A grant as both the customer and the company see it (GrantPresenter in server/app.ts). */
export const recordAccessSchema = z
  .object({
    categories: z.array(z.string()),
    window: z.string().meta({ description: 'How far back: ISO 8601 days, months or years, e.g. P12M' }),
    sources: z.union([z.literal('any'), z.array(z.string())]).meta({ description: '"any" or company ids' }),
  })
  .meta({ description: 'The records a grant covers (authorization_details type customer_records)' });

export const grantSchema = z
  .object({
    id: z.uuid(),
    customerId: z.string().meta({ description: 'Pseudonymous customer id' }),
    companyId: z.string(),
    company: companyRefSchema.extend({
      name: z.string().meta({ description: 'The name the company had when the grant was made' }),
      currentName: z.string().optional().meta({ description: 'Its name now, when it has been renamed since' }),
      ...productFields,
    }),
    purpose: z.string(),
    fields: z.array(z.string()),
    claims: z
      .array(z.object({ name: claimNameSchema, value: z.unknown() }))
      .meta({ description: 'The claims the grant answers instead of values (empty when none)' }),
    actions: z.array(actionSchema),
    termsVersion: z.number().int().meta({ description: 'The company terms version the grant was approved under' }),
    policyVersion: z.string(),
    status: z.enum(['active', 'revoked', 'expired', 'suspended']),
    statusReason: z.string().nullable(),
    autoApproved: z
      .boolean()
      .meta({ description: "Approved by one of the customer's auto-approve rules rather than on the consent screen" }),
    createdAt: isoTime,
    expiresAt: isoTime,
    updatedAt: isoTime,
    statusChangedAt: isoTime
      .nullable()
      .meta({ description: 'When the status last changed (revoked, expired, suspended, resumed); null if never' }),
    records: recordAccessSchema.optional(),
    canReapprove: z.boolean().optional().meta({
      description:
        "Customer's view of a suspended grant: whether re-approving it now would pass the policy (a dry-run)",
    }),
    reapproveReasons: z
      .array(z.object({ code: z.string(), message: z.string(), source: z.string() }))
      .optional()
      .meta({ description: 'Why re-approving would be refused, when `canReapprove` is false' }),
  })
  .meta({ description: 'A time-limited, purpose-scoped grant from a customer to a company.' });

/** Each company the customer has granted to, from the audit trail and its current terms (the grants page). */
export const grantCompanySchema = z.object({
  id: z.string(),
  lastReadAt: isoTime.nullable(),
  readsLast30Days: z.number().int(),
  fieldsRead: z.array(z.string()).meta({ description: 'Every field the company has read: what it may already hold' }),
  retentionDays: z.number().int().nullable().meta({ description: 'How long its current terms say it keeps data' }),
  contact: z.string().nullable().meta({ description: 'Where to ask it for deletion, from its terms' }),
  firstReadAt: isoTime.nullable().meta({ description: 'Its first read of your data' }),
  readsTotal: z.number().int().meta({ description: 'Every read it has made' }),
  recordsDeposited: z.number().int().meta({ description: 'Records it has added to your vault' }),
  benefits: z
    .object({
      confirmed: z.number().int(),
      awaitingAnswer: z.number().int(),
      disputed: z.number().int(),
      totals: z
        .array(z.object({ currency: z.string(), amount: z.string() }))
        .meta({ description: 'Confirmed benefits with an amount, summed per currency' }),
    })
    .meta({ description: 'What it gave back: the benefit ledger' }),
});

export const grantListSchema = z.object({
  grants: z.array(grantSchema),
  companies: z.array(grantCompanySchema).optional().meta({ description: "Only in the customer's own list" }),
});

export const grantComponents = { Grant: grantSchema, GrantList: grantListSchema };

const id = { id: idSchema };

const impactSchema = z.array(
  z.object({ grant: grantSchema, reasons: z.array(z.string()).meta({ description: 'Why, in words' }) }),
);
export const criteriaPreviewSchema = z
  .object({
    revoke: impactSchema.meta({ description: 'Live grants of companies the proposal blocks' }),
    suspend: impactSchema.meta({ description: 'Live grants that fail the proposed criteria' }),
  })
  .meta({ description: 'What saving the proposed criteria would do; nothing is changed' });
export const criteriaOptionsSchema = z.object({
  purposes: z.array(z.object({ id: z.string(), description: z.string(), marketing: z.boolean() })),
  valueTags: z.array(z.string()).meta({ description: "Value tags declared in companies' current terms" }),
  companies: z
    .array(z.object({ id: z.string(), name: z.string() }))
    .meta({ description: 'Every company that has asked this customer for access' }),
});

export const grantOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/api/criteria/options',
    operationId: 'getCriteriaOptions',
    tags: ['Profile'],
    security: SECURITY.session,
    summary: 'What my criteria can choose from: purposes, value tags, companies that asked',
    responses: { 200: { description: 'The lists', schema: criteriaOptionsSchema } },
  },
  {
    method: 'post',
    path: '/api/criteria/preview',
    operationId: 'previewCriteria',
    tags: ['Profile'],
    security: SECURITY.sessionWrite,
    summary: 'Dry run: which live grants proposed criteria would revoke or suspend',
    description: 'Evaluates the live grants against the proposal exactly as saving would, and changes nothing.',
    body: { schema: customerCriteriaSchema },
    responses: { 200: { description: 'The impact', schema: criteriaPreviewSchema } },
  },
  {
    method: 'get',
    path: '/api/grants',
    operationId: 'listMyGrants',
    tags: ['Grants'],
    security: SECURITY.session,
    summary: 'List my grants',
    responses: { 200: { description: 'Every grant the customer has given, in any status', schema: grantListSchema } },
  },
  {
    method: 'get',
    path: '/api/grants/:id',
    operationId: 'getMyGrant',
    tags: ['Grants'],
    security: SECURITY.session,
    pathParams: id,
    summary: 'Read one of my grants',
    errors: [404],
    responses: { 200: { description: 'The grant', schema: grantSchema } },
  },
  {
    method: 'patch',
    path: '/api/grants/:id',
    operationId: 'narrowMyGrant',
    tags: ['Grants'],
    security: SECURITY.sessionWrite,
    pathParams: id,
    summary: 'Narrow a grant: fewer fields, fewer actions, or an earlier end',
    description:
      'Narrowing only takes away; a wider grant needs a new request from the company. Recorded in the audit trail with a signed receipt.',
    body: { schema: narrowSchema },
    errors: [404, 409],
    responses: { 200: { description: 'The narrowed grant', schema: grantSchema } },
  },
  {
    method: 'post',
    path: '/api/grants/:id/reapprove',
    operationId: 'reapproveMyGrant',
    tags: ['Grants'],
    security: SECURITY.sessionWrite,
    pathParams: id,
    summary: "Re-approve a suspended grant under the company's current terms",
    description: 'Only when the grant passes the policy again; otherwise 403 with the reasons.',
    errors: [404, 409],
    responses: { 200: { description: 'The grant, active again', schema: grantSchema } },
  },
  {
    method: 'post',
    path: '/api/grants/:id/renew',
    operationId: 'renewMyGrant',
    tags: ['Grants'],
    security: SECURITY.sessionWrite,
    pathParams: id,
    summary: 'Renew a live grant for its length from now, from its expiry notice',
    description:
      "Decided again under the company's current terms and the current policy; 403 with the reasons when it no longer passes. Recorded as an approval with a signed receipt.",
    errors: [404, 409],
    responses: { 200: { description: 'The renewed grant', schema: grantSchema } },
  },
  {
    method: 'delete',
    path: '/api/grants/:id',
    operationId: 'revokeMyGrant',
    tags: ['Grants'],
    security: SECURITY.sessionWrite,
    pathParams: id,
    summary: 'Revoke a grant',
    description: "Takes effect on the company's very next request, whatever its token's expiry says.",
    errors: [404],
    responses: { 204: { description: 'Revoked' } },
  },
  {
    method: 'get',
    path: '/company/grants',
    operationId: 'listCompanyGrants',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    summary: 'List the grants customers gave your company',
    responses: { 200: { description: 'Your grants, in any status', schema: grantListSchema } },
  },
  {
    method: 'get',
    path: '/company/grants/:id',
    operationId: 'getCompanyGrant',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    pathParams: id,
    summary: 'Read one of your grants',
    errors: [404],
    responses: { 200: { description: 'The grant', schema: grantSchema } },
  },
  {
    method: 'delete',
    path: '/company/grants/:id',
    operationId: 'revokeCompanyGrant',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    pathParams: id,
    summary: 'Give up one of your grants',
    description: 'The customer is told in their inbox, and a signed receipt records it.',
    errors: [404],
    responses: { 204: { description: 'Revoked' } },
  },
];
