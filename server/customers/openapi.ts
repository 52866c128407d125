import { z } from 'zod';
import { auditEventSchema } from '../audit/openapi.ts';
import { grantSchema } from '../grants/openapi.ts';
import { isoTime, vaultHandle } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { categorySchema, customerCriteriaSchema } from '../policy/types.ts';
import { credentialsSchema } from './accounts.ts';
import { FIELD_CATALOGUE, FIELD_NAMES } from './field-catalogue.ts';
import { deleteSchema, messageIdSchema } from './routes.ts';

/**
 * PATCH /api/profile as the catalogue's own field schemas describe it: profile.updateFields checks
 * each value with FIELD_CATALOGUE[name].schema, and null clears a field.
 */
export const profilePatchBodySchema = z
  .strictObject(
    Object.fromEntries(
      FIELD_NAMES.map((n) => [
        n,
        FIELD_CATALOGUE[n].schema
          .nullable()
          .optional()
          .meta({ description: `${FIELD_CATALOGUE[n].label} (${FIELD_CATALOGUE[n].category}); null clears it` }),
      ]),
    ),
  )
  .meta({ description: 'The fields to set (or clear with null), all or nothing; at most 50' });

const sessionOut = {
  kind: z.enum(['customer', 'auditor']),
  id: z.string(),
  handle: vaultHandle.optional().meta({ description: 'Customers only' }),
  csrfToken: z.string().meta({ description: 'Send as x-csrf-token on every write' }),
};
export const sessionSchema = z.object(sessionOut).meta({ description: 'The signed-in account and its CSRF token.' });
export const signUpSchema = z.object({ ...sessionOut, kind: z.literal('customer'), handle: vaultHandle });

export const profileFieldSchema = z.object({
  value: z.unknown(),
  category: categorySchema,
  version: z.number().int(),
  updatedAt: isoTime,
});
export const profileSchema = z
  .object({ fields: z.record(z.string(), profileFieldSchema) })
  .meta({ description: 'The profile, decrypted for its owner: field name → value and facts.' });

export const fieldCatalogueSchema = z.object({
  fields: z.array(
    z.object({
      name: z.string(),
      category: categorySchema,
      sensitive: z
        .boolean()
        .meta({ description: 'The category is sensitive under the platform policy (stricter limits)' }),
      label: z.string(),
      schema: z.looseObject({}).meta({ description: 'JSON Schema of the value' }),
    }),
  ),
});

export const criteriaSchema = customerCriteriaSchema.meta({
  description: 'The customer\'s criteria: "meet them and I will tell you everything; don\'t and I will lock you out".',
});

export const inboxSchema = z.object({
  messages: z.array(
    z.object({
      id: z.uuid(),
      customerId: z.string(),
      kind: z.string().meta({
        description:
          "e.g. grant.approved, grant.suspended, grant.terms-worse (with body.changes), request.refused (refused by the customer's criteria; body.criteria)",
      }),
      body: z.looseObject({ title: z.string(), text: z.string() }),
      createdAt: isoTime,
      readAt: isoTime.nullable(),
    }),
  ),
});

export const accountExportSchema = z
  .looseObject({
    format: z.literal('consent-vault-export/1'),
    exportedAt: isoTime,
    account: z.object({ id: z.string(), handle: vaultHandle, createdAt: isoTime }),
    profile: z.record(z.string(), profileFieldSchema),
    criteria: z.unknown(),
    records: z.array(
      z.object({
        id: z.string(),
        companyId: z.string(),
        grantId: z.string(),
        category: z.string(),
        createdAt: isoTime,
        content: z.unknown(),
      }),
    ),
    grants: z.array(grantSchema),
    reads: z.array(auditEventSchema),
    receipts: z.array(
      z.object({ id: z.string(), grantId: z.string(), kind: z.string(), createdAt: isoTime, jws: z.string() }),
    ),
    inbox: inboxSchema.shape.messages,
    pendingRequests: z
      .array(z.looseObject({ id: z.string() }))
      .meta({ description: "Requests waiting for the customer's answer, as GET /api/requests shows them" }),
  })
  .meta({ description: 'Everything the vault holds about the customer, decrypted (data portability).' });

export const customerComponents = {
  Session: sessionSchema,
  Profile: profileSchema,
  FieldCatalogue: fieldCatalogueSchema,
  CustomerCriteria: criteriaSchema,
  Inbox: inboxSchema,
  AccountExport: accountExportSchema,
};

const setCookie = {
  'set-cookie': {
    description: 'The session cookie (vault_session, or __Host-vault_session over HTTPS)',
    required: true,
  },
};

export const customerOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/api/fields',
    operationId: 'listFields',
    tags: ['Profile'],
    security: SECURITY.public,
    summary: 'The field catalogue: every field a profile can hold, its category and value schema',
    responses: { 200: { description: 'The catalogue', schema: fieldCatalogueSchema } },
  },
  {
    method: 'post',
    path: '/api/account',
    operationId: 'signUp',
    tags: ['Account'],
    security: SECURITY.public,
    summary: 'Create a customer account and sign in',
    body: { schema: credentialsSchema },
    rateLimited: true,
    errors: [403, 409, 415],
    description: 'JSON only, and refused with 403 when the browser names another Origin (no login CSRF).',
    responses: { 201: { description: 'Created and signed in', schema: signUpSchema, headers: setCookie } },
  },
  {
    method: 'post',
    path: '/api/session',
    operationId: 'signIn',
    tags: ['Account'],
    security: SECURITY.public,
    summary: 'Sign in (customers and auditors)',
    body: { schema: credentialsSchema },
    rateLimited: true,
    errors: [401, 403, 415],
    description:
      'Failed attempts are limited per address and per IP; successful ones do not count. JSON only, and refused with 403 when the browser names another Origin (no login CSRF).',
    responses: { 200: { description: 'Signed in', schema: sessionSchema, headers: setCookie } },
  },
  {
    method: 'get',
    path: '/api/session',
    operationId: 'getSession',
    tags: ['Account'],
    security: SECURITY.session,
    summary: 'Who is signed in, and the CSRF token',
    errors: [401],
    responses: { 200: { description: 'The session', schema: sessionSchema } },
  },
  {
    method: 'delete',
    path: '/api/session',
    operationId: 'signOut',
    tags: ['Account'],
    security: SECURITY.sessionWrite,
    summary: 'Sign out',
    responses: { 204: { description: 'Signed out; the cookie is cleared' } },
  },
  {
    method: 'get',
    path: '/api/profile',
    operationId: 'getProfile',
    tags: ['Profile'],
    security: SECURITY.session,
    summary: 'Read my profile (decrypted)',
    responses: { 200: { description: 'The profile', schema: profileSchema } },
  },
  {
    method: 'patch',
    path: '/api/profile',
    operationId: 'updateProfile',
    tags: ['Profile'],
    security: SECURITY.sessionWrite,
    summary: 'Set or clear profile fields',
    body: { schema: profilePatchBodySchema },
    description: "Each value is sealed with the customer's data key (XChaCha20-Poly1305) before it is stored.",
    responses: { 200: { description: 'The profile after the change', schema: profileSchema } },
  },
  {
    method: 'get',
    path: '/api/criteria',
    operationId: 'getCriteria',
    tags: ['Profile'],
    security: SECURITY.session,
    summary: 'Read my criteria',
    responses: { 200: { description: 'The criteria', schema: criteriaSchema } },
  },
  {
    method: 'put',
    path: '/api/criteria',
    operationId: 'setCriteria',
    tags: ['Profile'],
    security: SECURITY.sessionWrite,
    summary: 'Replace my criteria',
    body: { schema: customerCriteriaSchema },
    description: 'Live grants that no longer meet the criteria are suspended; blocking a company revokes its grants.',
    responses: { 200: { description: 'The criteria as stored', schema: criteriaSchema } },
  },
  {
    method: 'get',
    path: '/api/inbox',
    operationId: 'getInbox',
    tags: ['Profile'],
    security: SECURITY.session,
    summary: 'My inbox: grant changes, suspensions, requests',
    responses: { 200: { description: 'Newest first', schema: inboxSchema } },
  },
  {
    method: 'post',
    path: '/api/inbox/:id/read',
    operationId: 'markMessageRead',
    tags: ['Profile'],
    security: SECURITY.sessionWrite,
    pathParams: { id: messageIdSchema },
    summary: 'Mark an inbox message read',
    errors: [404],
    responses: { 204: { description: 'Marked read' } },
  },
  {
    method: 'get',
    path: '/api/export',
    operationId: 'exportMyData',
    tags: ['Profile'],
    security: SECURITY.session,
    summary: 'Export everything the vault holds about me (JSON)',
    responses: {
      200: {
        description: 'The export, as an attachment',
        schema: accountExportSchema,
        headers: { 'content-disposition': { description: 'attachment; filename="vault-export.json"', required: true } },
      },
    },
  },
  {
    method: 'delete',
    path: '/api/account',
    operationId: 'deleteAccount',
    tags: ['Account'],
    security: SECURITY.sessionWrite,
    summary: 'Delete my account',
    body: { schema: deleteSchema },
    description:
      "Destroys the customer's data key, so every copy of their data, backups included, becomes unreadable. Live grants are revoked. The audit trail of past reads remains, pseudonymous.",
    responses: { 204: { description: 'Deleted; the cookie is cleared' } },
  },
];
