import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { toJsonSchema, type JsonSchema } from './json-schema.ts';
import { ERROR_DESCRIPTIONS, problemSchema } from './problem.ts';
import { securitySchemes } from './security.ts';
import { toOpenApiPath, type OperationSpec, type ResponseSpec } from './spec.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const TAGS = [
  {
    name: 'OAuth',
    description:
      'The authorization server for companies: metadata, keys, PAR, authorize, token, introspection, revocation (RFC 8414, 9126, 6749, 7636, 9396, 7662, 7009, 9449).',
  },
  {
    name: 'Registration',
    description: 'Dynamic client registration and management for companies (RFC 7591, RFC 7592).',
  },
  {
    name: 'Data',
    description:
      'The company data API: read the fields a grant covers, deposit records. Every call is checked against the grant and the policy, and audited.',
  },
  {
    name: 'Company grants',
    description:
      "A company's own grants and consent receipts, with a client_credentials token of scope grant_management.",
  },
  {
    name: 'Benefits',
    description:
      'The benefit ledger: companies record what they gave back under a grant; customers confirm or dispute it.',
  },
  { name: 'Account', description: 'Customer and auditor sign-up, sign-in and session (dashboard).' },
  { name: 'Profile', description: "The customer's encrypted profile, criteria, inbox and export (dashboard)." },
  { name: 'Consent', description: "The customer's consent screen for a company's request (dashboard)." },
  { name: 'Grants', description: "The customer's grants: list, narrow, revoke, re-approve (dashboard)." },
  {
    name: 'Activity',
    description: "What companies did with the customer's data: reads and consent receipts (dashboard).",
  },
  {
    name: 'Audit',
    description: "The auditor's API: search and export the hash-chained audit log, and its signed checkpoints.",
  },
  { name: 'Service', description: 'Health, readiness, this document and the pages served to browsers.' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

export interface DocumentInput {
  publicUrl: string;
  operations: readonly OperationSpec[];
  /** Named response schemas, emitted under components.schemas and referenced where used whole. */
  components: Record<string, z.ZodType>;
}

/** Builds the OpenAPI 3.1 document from the modules' operation specs; throws on an inconsistent spec. */
export function buildOpenApiDocument(input: DocumentInput): Record<string, unknown> {
  const refs = new Map<z.ZodType, string>();
  const schemas: Record<string, JsonSchema> = { Problem: toJsonSchema(problemSchema, 'output') };
  for (const [name, schema] of Object.entries(input.components)) {
    if (schemas[name]) throw new Error(`openapi: component ${name} is defined twice`);
    schemas[name] = toJsonSchema(schema, 'output');
    refs.set(schema, name);
  }
  const responseSchema = (s: z.ZodType) =>
    refs.has(s) ? { $ref: `#/components/schemas/${refs.get(s)}` } : toJsonSchema(s, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  const ids = new Set<string>();
  for (const op of input.operations) {
    if (ids.has(op.operationId)) throw new Error(`openapi: operationId ${op.operationId} is used twice`);
    ids.add(op.operationId);
    const path = toOpenApiPath(op.path);
    const item = (paths[path] ??= {});
    if (item[op.method]) throw new Error(`openapi: ${op.method.toUpperCase()} ${op.path} is described twice`);
    item[op.method] = operationObject(op, responseSchema);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Consent vault API',
      version: VERSION,
      summary: 'A customer-managed consent vault: customers hold their data, companies ask for parts of it.',
      description:
        'Companies register as OAuth clients, ask for fields for a purpose (RFC 9396 authorization_details of type `customer_data`), ' +
        "and read or deposit data with short-lived access tokens while the customer's grant is active. Customers manage their profile, " +
        'criteria and grants from the dashboard (session cookie + CSRF header). Auditors search and export the hash-chained audit log.\n\n' +
        'Every error is an RFC 9457 problem (`application/problem+json`; `application/json` on the OAuth endpoints) with a stable `type`. ' +
        'This document is generated from the schemas that validate the requests, and the response schemas are checked against recorded responses in the test suite.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: input.publicUrl, description: 'This vault' }],
    tags: TAGS,
    paths,
    components: { schemas, securitySchemes: securitySchemes(input.publicUrl) },
  };
}

function operationObject(op: OperationSpec, responseSchema: (s: z.ZodType) => unknown): Record<string, unknown> {
  const templated = [...op.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  for (const name of Object.keys(op.pathParams ?? {})) {
    if (!templated.includes(name))
      throw new Error(`openapi: ${op.operationId} documents path parameter ${name} that ${op.path} does not have`);
  }
  const parameters: Record<string, unknown>[] = templated.map((name) => {
    const s = op.pathParams?.[name];
    const schema = s ? toJsonSchema(s, 'input') : { type: 'string' };
    return { name, in: 'path', required: true, schema, ...describe(schema) };
  });
  if (op.query) {
    const q = toJsonSchema(op.query, 'input');
    const required = new Set((q.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((q.properties ?? {}) as Record<string, JsonSchema>)) {
      parameters.push({ name, in: 'query', required: required.has(name), schema, ...describe(schema) });
    }
  }
  for (const [name, h] of Object.entries(op.headers ?? {})) {
    parameters.push({
      name,
      in: 'header',
      required: h.required ?? false,
      description: h.description,
      schema: h.schema ? toJsonSchema(h.schema, 'input') : { type: 'string' },
    });
  }

  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(op.responses)) responses[status] = responseObject(r, responseSchema);
  const errorMedia = op.errorMediaType ?? 'application/problem+json';
  for (const status of errorStatuses(op)) {
    if (responses[status]) continue;
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      ...(status === 429
        ? { headers: { 'retry-after': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
        : {}),
      ...(status === 401 && op.security.length
        ? {
            headers: {
              'www-authenticate': {
                description: 'The challenge (RFC 6750 §3, RFC 9449 §7.1) on token errors',
                schema: { type: 'string' },
              },
            },
          }
        : {}),
      ...(status === 403 && op.security.some((alt) => 'companyOAuth' in alt)
        ? {
            headers: {
              'www-authenticate': {
                description:
                  'When the grant does not cover the request (a field, action, claim, record category, window or source outside it): `error="insufficient_scope"` (RFC 6750 §3.1); absent when the policy or the grant\'s state refuses',
                schema: { type: 'string' },
              },
            },
          }
        : {}),
      content: { [errorMedia]: { schema: PROBLEM_REF } },
    };
  }
  responses.default = {
    description: 'Any other error, as a problem (an unexpected error is a bare 500 with type about:blank)',
    content: { [errorMedia]: { schema: PROBLEM_REF } },
  };

  return {
    operationId: op.operationId,
    tags: op.tags,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: op.security,
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? true,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: { [op.body.contentType ?? 'application/json']: { schema: toJsonSchema(op.body.schema, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

function responseObject(r: ResponseSpec, responseSchema: (s: z.ZodType) => unknown): Record<string, unknown> {
  const types =
    r.contentType === undefined
      ? ['application/json']
      : typeof r.contentType === 'string'
        ? [r.contentType]
        : r.contentType;
  const headers = r.headers
    ? Object.fromEntries(
        Object.entries(r.headers).map(([name, h]) => [
          name,
          {
            description: h.description,
            required: h.required ?? false,
            schema: h.schema ? toJsonSchema(h.schema, 'output') : { type: 'string' },
          },
        ]),
      )
    : undefined;
  return {
    description: r.description,
    ...(headers ? { headers } : {}),
    ...(r.schema ? { content: Object.fromEntries(types.map((t) => [t, { schema: responseSchema(r.schema!) }])) } : {}),
  };
}

/** The problem statuses an operation can answer: declared ones plus those its inputs and security imply. */
export function errorStatuses(op: OperationSpec): number[] {
  const s = new Set(op.errors ?? []);
  const schemes = new Set(op.security.flatMap((alt) => Object.keys(alt)));
  if (op.body || op.query || Object.keys(op.pathParams ?? {}).length) s.add(400);
  if (op.body) s.add(413);
  if (schemes.has('sessionCookie')) {
    s.add(401);
    s.add(403);
  }
  if (schemes.has('companyOAuth') || schemes.has('dpopAccessToken')) {
    s.add(401);
    s.add(403);
  }
  if (schemes.has('clientSecretBasic') || schemes.has('initialAccessToken') || schemes.has('registrationAccessToken'))
    s.add(401);
  if (op.rateLimited) s.add(429);
  return [...s].sort((a, b) => a - b);
}

const describe = (schema: JsonSchema) =>
  typeof schema.description === 'string' ? { description: schema.description } : {};
