import { z } from 'zod';

/**
 * The RFC 9457 problem details every error response carries (server/http/problem.ts writes them).
 * Strict on purpose: a new extension member fails the replay test until it is documented here.
 */
export const reasonSchema = z
  .object({
    code: z.string().meta({
      description:
        "Stable reason code, e.g. PURPOSE_NOT_IN_COMPANY_TERMS; a company is told CUSTOMER_CRITERIA for every reason that comes from the customer's own criteria",
    }),
    message: z.string().meta({ description: 'A sentence a person can read' }),
    ruleId: z.string().optional(),
    source: z.enum(['platform', 'customer']).optional(),
    effect: z.enum(['deny', 'require-approval']).optional(),
  })
  .meta({ description: 'One reason of a policy decision (ARCHITECTURE.md, "Where policy decisions happen").' });

export const problemSchema = z
  .object({
    type: z.string().meta({
      description:
        "Stable URI of the problem type under the vault's public URL, `{publicUrl}/problems/{slug}` (the README lists the slugs), e.g. https://vault.example/problems/validation-failed for a vault at https://vault.example; about:blank for an unexpected 500",
    }),
    title: z.string().meta({ description: 'Short human summary of the problem type' }),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional().meta({ description: 'Human explanation of this occurrence' }),
    instance: z.string().meta({ description: 'urn:request:<x-request-id> of this request' }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Validation failures, one per bad input, e.g. body.email' }),
    reasons: z.array(reasonSchema).optional().meta({ description: 'Why the mutuality policy refused' }),
    policyVersion: z.string().optional().meta({ description: 'Content hash of the policy set that decided' }),
    error: z
      .string()
      .optional()
      .meta({ description: 'OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 9449 §7.1)' }),
    error_description: z.string().optional(),
  })
  .meta({
    description:
      'RFC 9457 problem details. OAuth endpoints send the same body as application/json with `error` and `error_description`.',
    examples: [
      {
        type: 'https://vault.example/problems/validation-failed',
        title: 'The request did not pass validation',
        status: 400,
        detail: 'body.email: Invalid email address',
        instance: 'urn:request:6f1c0c2e-5d3b-4a4e-9a57-1b2f3c4d5e6f',
        errors: [{ path: 'body.email', message: 'Invalid email address' }],
      },
    ],
  });

export type Problem = z.infer<typeof problemSchema>;

/** Human description of each error status as the vault uses it. */
export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or did not pass validation (`errors[]` lists each problem by path)',
  401: 'Authentication is missing or not valid (token errors carry WWW-Authenticate)',
  403: 'Not allowed: wrong kind of account, CSRF check failed, insufficient scope, or the policy refuses (`reasons[]`)',
  404: "Not found; another tenant's object is reported as missing too",
  409: 'Conflicts with the current state',
  413: 'The request body is too large',
  415: 'Unsupported media type',
  429: 'Rate limited; Retry-After says when to try again',
  503: 'Not available (shutting down or the database is unreachable)',
};
