import { z } from 'zod';
import { companyRefSchema, isoTime } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { ENDING_CAUSES } from '../grants/endings.ts';
import {
  auditorDeletionsQuerySchema,
  confirmDeletionSchema,
  deletionIdSchema,
  deletionListQuerySchema,
} from './routes.ts';

/** A deletion request as the company sees it (presentDeletion in server/deletions/routes.ts). */
export const deletionSchema = z
  .object({
    id: z.uuid(),
    grantId: z.uuid(),
    cause: z.enum(ENDING_CAUSES).meta({ description: 'Why the grant ended' }),
    fields: z.array(z.string()).meta({ description: 'The fields the company received and must delete' }),
    records: z.array(z.string()).meta({ description: 'Ids of the records exchanged under the grant' }),
    status: z.enum(['open', 'overdue', 'confirmed']),
    requestedAt: isoTime,
    dueAt: isoTime.meta({ description: "The deadline: the company's retention days or the platform maximum" }),
    overdueAt: isoTime.nullable(),
    confirmedAt: isoTime.nullable(),
    kept: z
      .object({ fields: z.array(z.string()), until: isoTime })
      .nullable()
      .meta({ description: 'What the company keeps under a legal obligation, and until when' }),
    receiptId: z.uuid().nullable().meta({ description: 'The signed receipt of the latest step' }),
  })
  .meta({ description: 'A request to delete what a company received under a grant that ended.' });

const customerDeletionSchema = deletionSchema.extend({ company: companyRefSchema });
const auditorDeletionSchema = customerDeletionSchema.extend({ customerId: z.string() });

export const deletionComponents = { DeletionRequest: deletionSchema };

const id = { id: deletionIdSchema };

export const deletionOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/company/deletions',
    operationId: 'listCompanyDeletions',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    query: deletionListQuerySchema,
    summary: 'List the deletion requests sent to your company',
    description: 'One per grant that ended (revoked, expired, lapsed, company disabled or blocked, account deleted).',
    responses: { 200: { description: 'Newest first', schema: z.object({ deletions: z.array(deletionSchema) }) } },
  },
  {
    method: 'get',
    path: '/company/deletions/:id',
    operationId: 'getCompanyDeletion',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    pathParams: id,
    summary: 'Read one deletion request',
    errors: [404],
    responses: { 200: { description: 'The request', schema: deletionSchema } },
  },
  {
    method: 'post',
    path: '/company/deletions/:id',
    operationId: 'confirmCompanyDeletion',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    pathParams: id,
    summary: 'Confirm that you deleted what the request names',
    description:
      'Optionally names the fields kept under a legal obligation and until when (at most 10 years). Audited, with a ' +
      'signed receipt. Confirming again returns the first confirmation unchanged; another company’s request is a 404.',
    body: { schema: confirmDeletionSchema, required: false },
    errors: [404],
    responses: { 200: { description: 'The confirmed request', schema: deletionSchema } },
  },
  {
    method: 'get',
    path: '/api/deletions',
    operationId: 'listMyDeletions',
    tags: ['Grants'],
    security: SECURITY.session,
    summary: 'Whether each company deleted what it received from me, and when',
    responses: {
      200: { description: 'Newest first', schema: z.object({ deletions: z.array(customerDeletionSchema) }) },
    },
  },
  {
    method: 'get',
    path: '/api/audit/deletions',
    operationId: 'listDeletionsForAuditors',
    tags: ['Audit'],
    security: SECURITY.session,
    query: auditorDeletionsQuerySchema,
    summary: 'Deletion requests across companies by status, overdue by default (auditors)',
    responses: {
      200: { description: 'Oldest deadline first', schema: z.object({ deletions: z.array(auditorDeletionSchema) }) },
    },
  },
];
