import type { z } from 'zod';

/**
 * How a module describes its routes for the OpenAPI document. Each module's `openapi.ts` lists one
 * OperationSpec per route, pointing at the very zod schemas its routes parse with, and at zod schemas
 * of its responses that the replay test (test/openapi/replay.test.ts) checks real responses against.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One alternative of an OpenAPI security requirement: scheme name → scopes. `{}` means none needed. */
export type SecurityRequirement = Partial<Record<SecuritySchemeName, string[]>>;

export type SecuritySchemeName =
  | 'sessionCookie'
  | 'csrfToken'
  | 'companyOAuth'
  | 'dpopAccessToken'
  | 'clientSecretBasic'
  | 'initialAccessToken'
  | 'registrationAccessToken';

export interface HeaderSpec {
  description: string;
  required?: boolean;
  schema?: z.ZodType;
}

export interface ResponseSpec {
  description: string;
  /** The body's schema; omit for an empty body (204, a redirect). */
  schema?: z.ZodType;
  /** Media type(s) of the body; application/json unless said. */
  contentType?: string | readonly string[];
  headers?: Record<string, HeaderSpec>;
}

export interface RequestBodySpec {
  schema: z.ZodType;
  contentType?: 'application/json' | 'application/x-www-form-urlencoded';
  required?: boolean;
  description?: string;
}

export interface OperationSpec {
  method: HttpMethod;
  /** The path exactly as the express router declares it, e.g. `/api/grants/:id`. */
  path: string;
  operationId: string;
  tags: readonly string[];
  summary: string;
  description?: string;
  /** Alternatives (any one suffices); `[]` for a public operation. */
  security: readonly SecurityRequirement[];
  pathParams?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  headers?: Record<string, HeaderSpec>;
  body?: RequestBodySpec;
  responses: Record<number, ResponseSpec>;
  /** Problem statuses beyond those the generator infers from security, input and rate limits. */
  errors?: readonly number[];
  /** The OAuth endpoints answer errors as application/json (RFC 6749 §5.2); everything else as problem+json. */
  errorMediaType?: 'application/json' | 'application/problem+json';
  /** Whether a rate limit can answer 429. */
  rateLimited?: boolean;
  /** Pages and assets for browsers rather than API calls (kept out of the replay's JSON checks). */
  browser?: boolean;
}

/** `/api/grants/:id` → `/api/grants/{id}` (OpenAPI path templating, §4.8.2). */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
