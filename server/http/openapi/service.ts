import { z } from 'zod';
import { DASHBOARD_PAGES } from '../app.ts';
import { SECURITY } from './security.ts';
import type { OperationSpec } from './spec.ts';

/** The assets GET /docs/assets/{name} serves: the viewer (swagger-ui-dist) and our own initializer. */
export const DOCS_ASSETS = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'docs.css',
  'docs.js',
  'favicon-32x32.png',
] as const;

export const healthSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not-ready']),
  database: z.boolean(),
  auditDurable: z
    .boolean()
    .meta({ description: 'false once a write-ahead-log fsync has failed: company reads are refused until a restart' }),
});
/** Checked for shape only here; test/openapi validates it against the OpenAPI 3.1 schema itself. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

const html = 'text/html';

export const serviceOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tags: ['Service'],
    security: SECURITY.public,
    summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Alive', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    tags: ['Service'],
    security: SECURITY.public,
    summary: 'Readiness: the database answers, audit records can be made durable, and the server is not shutting down',
    responses: {
      200: { description: 'Ready', schema: readinessSchema },
      503: { description: 'Not ready', schema: readinessSchema },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: ['Service'],
    security: SECURITY.public,
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The OpenAPI document', schema: openApiDocumentSchema } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getDocsPage',
    tags: ['Service'],
    security: SECURITY.public,
    browser: true,
    summary: 'The API reference page for people (this document, rendered)',
    responses: { 200: { description: 'HTML page', schema: z.string(), contentType: html } },
  },
  {
    method: 'get',
    path: '/docs/assets/:name',
    operationId: 'getDocsAsset',
    tags: ['Service'],
    security: SECURITY.public,
    browser: true,
    pathParams: { name: z.enum(DOCS_ASSETS) },
    summary: 'A script or stylesheet of the reference page',
    errors: [404],
    responses: {
      200: { description: 'The asset', schema: z.string(), contentType: ['text/css', 'text/javascript', 'image/png'] },
    },
  },
  ...DASHBOARD_PAGES.map((path): OperationSpec => ({
    method: 'get',
    path,
    operationId: `page${path.slice(1).replace(/^./, (c) => c.toUpperCase())}`,
    tags: ['Service'],
    security: SECURITY.public,
    browser: true,
    summary: `Dashboard page ${path} (the app shell; served when the dashboard is built)`,
    responses: { 200: { description: 'HTML page', schema: z.string(), contentType: html } },
  })),
];
