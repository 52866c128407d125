import { z } from 'zod';
import { companyRefSchema, isoTime, productFields } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { ACTOR_KINDS, AUDIT_ACTIONS } from './chain/event.ts';
import {
  auditEventsQuerySchema,
  auditExportQuerySchema,
  companyReceiptsQuerySchema,
  readsQuerySchema,
  receiptIdSchema,
} from './routes.ts';

const reasonSchema = z.object({ code: z.string(), message: z.string() });

/** One event of the hash-chained log (server/audit/event.ts): fields are named, values never. */
export const auditEventSchema = z
  .object({
    seq: z.number().int().min(1).meta({
      description:
        'Position in the trail: 1, 2, 3… with no gaps on SQLite; on PostgreSQL increasing, with gaps where a transaction rolled back',
    }),
    chain: z.string().optional().meta({
      description:
        "The audit chain the event links into: absent on the default chain (one server on SQLite); on PostgreSQL each server's own",
    }),
    time: isoTime,
    action: z.enum(AUDIT_ACTIONS),
    actor: z.object({ kind: z.enum(ACTOR_KINDS), id: z.string() }),
    customerId: z.string().optional().meta({ description: 'Pseudonymous customer id' }),
    companyId: z.string().optional(),
    grantId: z.string().optional(),
    purpose: z.string().optional(),
    fields: z.array(z.string()).optional().meta({ description: 'Field names, never their values' }),
    decision: z.enum(['allow', 'deny']).optional(),
    reasons: z.array(reasonSchema).optional(),
    policyVersion: z.string().optional(),
    requestId: z.string().optional(),
    detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .meta({
    description:
      'An audit event. Its canonical JSON (RFC 8785) is what the chain hashes: hash = SHA-256(prev_hash || canonical(event)).',
  });

export const checkpointSchema = z
  .object({
    seq: z.number().int().min(0),
    hash: z.string().meta({ description: 'Chain hash at seq (hex)' }),
    time: isoTime,
    jws: z.string().meta({ description: 'Compact JWS of {seq, hash, time}, signed with a key from /jwks.json' }),
    chains: z
      .array(z.object({ chain: z.string(), seq: z.number().int().min(1), hash: z.string() }))
      .optional()
      .meta({ description: 'With several audit chains: the head of each, all signed together in the JWS' }),
  })
  .meta({ description: 'A signed checkpoint of the audit chain (or chains).' });

const page = {
  next: z
    .number()
    .int()
    .optional()
    .meta({ description: 'Pass as `before` to get the next (older) page; absent on the last page' }),
};

export const auditEventPageSchema = z.object({
  events: z.array(auditEventSchema),
  companies: z
    .record(z.string(), z.string())
    .meta({ description: "The page's company ids with the name each company had at its newest event here" }),
  ...page,
});
export const checkpointListSchema = z.object({ checkpoints: z.array(checkpointSchema) });
export const checkpointResultSchema = checkpointSchema.extend({
  created: z.boolean().meta({
    description: 'true when this call signed a new checkpoint; false when the latest one already covers the head',
  }),
});

export const readSchema = z.object({
  seq: z.number().int(),
  time: isoTime,
  action: z.enum(AUDIT_ACTIONS),
  company: companyRefSchema.extend(productFields),
  fields: z.array(z.string()),
  purpose: z.string().optional(),
  grantId: z.string().optional(),
  decision: z.enum(['allow', 'deny']).optional(),
  reasons: z.array(reasonSchema),
  category: z.string().optional().meta({ description: 'For a deposit: the category of the deposited record' }),
  automatic: z
    .literal(true)
    .optional()
    .meta({ description: 'A request refused or approved for the customer by their criteria, before they saw it' }),
  learned: z
    .string()
    .optional()
    .meta({ description: 'For a claim answer: what the company learned, e.g. "learned that you are over 18"' }),
});
export const refusalGroupSchema = z
  .object({
    company: companyRefSchema,
    reason: z.object({ code: z.string(), message: z.string() }),
    count: z.number().int().min(1),
    first: isoTime,
    last: isoTime,
  })
  .meta({ description: "A company's refused requests for one reason, counted between the first and the last" });
export const readPageSchema = z.object({
  reads: z.array(readSchema).meta({
    description: 'Reads, deposits, and requests decided automatically (refused or auto-approved), newest first',
  }),
  refusals: z
    .array(refusalGroupSchema)
    .meta({ description: 'Refused attempts, one group per company and reason, latest first (at most 100)' }),
  ...page,
});

export const receiptSchema = z
  .object({
    id: z.uuid(),
    grantId: z.string(),
    kind: z.enum(['created', 'amended', 'revoked', 'expired']),
    createdAt: isoTime,
    company: companyRefSchema,
    jws: z
      .string()
      .meta({ description: 'The receipt as a compact JWS (typ consent-receipt+jwt), verifiable with /jwks.json' }),
  })
  .meta({ description: 'A signed consent receipt (Kantara Consent Receipt v1.1 / ISO/IEC 27560 claims).' });
export const receiptListSchema = z.object({ receipts: z.array(receiptSchema) });
export const receiptWithClaimsSchema = receiptSchema.extend({
  claims: z
    .looseObject({ iss: z.string(), jti: z.string(), event: z.string() })
    .meta({ description: 'The decoded JWS payload, for reading; verify the JWS itself before relying on it' }),
});

export const auditComponents = {
  AuditEvent: auditEventSchema,
  AuditEventPage: auditEventPageSchema,
  Checkpoint: checkpointSchema,
  CheckpointList: checkpointListSchema,
  ReadPage: readPageSchema,
  Receipt: receiptSchema,
  ReceiptList: receiptListSchema,
  ReceiptWithClaims: receiptWithClaimsSchema,
};

const receiptId = { id: receiptIdSchema };

export const auditOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/api/audit/events',
    operationId: 'searchAuditEvents',
    tags: ['Audit'],
    security: SECURITY.session,
    summary: 'Search the audit log (auditors)',
    query: auditEventsQuerySchema,
    description: 'Newest first, at most `limit` per page. Filters combine with AND.',
    responses: { 200: { description: 'A page of events', schema: auditEventPageSchema } },
  },
  {
    method: 'get',
    path: '/api/audit/export',
    operationId: 'exportAuditLog',
    tags: ['Audit'],
    security: SECURITY.session,
    summary: 'Export the audit log as JSON Lines or CSV (auditors)',
    query: auditExportQuerySchema,
    description:
      'Streamed in constant memory. The export is itself recorded, then a checkpoint is signed at the head and every matching event up to it is written. ' +
      'JSON Lines: a header line `{"format":"vault-audit-export","version":1,"filtered":…,"filter":{…},"checkpoint":{seq,hash,time,jws}}`, then one line ' +
      '`{"seq":N,"prev":"<hex>","hash":"<hex>","event":{…}}` per event. With several audit chains the header is version 2 and its checkpoint also lists `chains: [{chain,seq,hash}]`. ' +
      'CSV (RFC 4180) carries the same. Check it offline with ' +
      '`npm run vault -- audit verify <file> --jwks <issuer>/jwks.json`.',
    responses: {
      200: {
        description: 'The export file',
        schema: z.string(),
        contentType: ['application/jsonl', 'text/csv'],
        headers: {
          'content-disposition': { description: 'attachment; filename="vault-audit-<time>.<format>"', required: true },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/api/audit/checkpoints',
    operationId: 'listCheckpoints',
    tags: ['Audit'],
    security: SECURITY.session,
    summary: 'List the latest signed checkpoints (auditors)',
    responses: { 200: { description: 'Newest first, at most 100', schema: checkpointListSchema } },
  },
  {
    method: 'post',
    path: '/api/audit/checkpoints',
    operationId: 'signCheckpoint',
    tags: ['Audit'],
    security: SECURITY.sessionWrite,
    summary: 'Sign a checkpoint at the head of the chain now (auditors)',
    description: 'Returns the latest checkpoint (200) if it already covers the head.',
    responses: {
      201: { description: 'A new checkpoint, signed now', schema: checkpointResultSchema },
      200: { description: 'The latest checkpoint, which already covers the head', schema: checkpointResultSchema },
    },
  },
  {
    method: 'get',
    path: '/api/reads',
    operationId: 'listMyReads',
    tags: ['Activity'],
    security: SECURITY.session,
    summary: 'Who read my data: every company read and deposit, and refusals grouped by company and reason',
    query: readsQuerySchema,
    responses: {
      200: { description: 'A page of reads, newest first, and the refusal groups', schema: readPageSchema },
    },
  },
  {
    method: 'get',
    path: '/api/receipts',
    operationId: 'listMyReceipts',
    tags: ['Activity'],
    security: SECURITY.session,
    summary: 'My signed consent receipts',
    responses: { 200: { description: 'Newest first', schema: receiptListSchema } },
  },
  {
    method: 'get',
    path: '/api/receipts/:id',
    operationId: 'getMyReceipt',
    tags: ['Activity'],
    security: SECURITY.session,
    pathParams: receiptId,
    summary: 'One of my consent receipts, with its claims decoded',
    errors: [404],
    responses: { 200: { description: 'The receipt', schema: receiptWithClaimsSchema } },
  },
  {
    method: 'get',
    path: '/company/receipts',
    operationId: 'listCompanyReceipts',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    summary: 'The consent receipts of your grants',
    query: companyReceiptsQuerySchema,
    responses: { 200: { description: 'Newest first', schema: receiptListSchema } },
  },
  {
    method: 'get',
    path: '/company/receipts/:id',
    operationId: 'getCompanyReceipt',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    pathParams: receiptId,
    summary: 'One consent receipt of your grants, with its claims decoded',
    errors: [404],
    responses: { 200: { description: 'The receipt', schema: receiptWithClaimsSchema } },
  },
];
