import { z } from 'zod';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { pollSchema } from './poll.ts';

const pollResponseSchema = z
  .object({
    sets: z
      .record(z.string(), z.string())
      .meta({ description: 'Security Event Tokens (RFC 8417, typ secevent+jwt) keyed by jti, oldest first' }),
    moreAvailable: z.boolean(),
  })
  .meta({ description: 'RFC 8936 §2.4 poll response' });

export const eventComponents = { EventPollResponse: pollResponseSchema };

export const eventOperations: OperationSpec[] = [
  {
    method: 'post',
    path: '/company/events/poll',
    operationId: 'pollGrantEvents',
    tags: ['Company grants'],
    security: SECURITY.managementToken,
    summary: 'Poll for grant events (RFC 8936)',
    description:
      'For a company without an `event_delivery_endpoint` in its registration (companies with one get events pushed, RFC 8935). ' +
      'Acknowledge what you have processed with `ack` (by jti); report SETs you reject in `setErrs`; ask for up to 100 with ' +
      '`maxEvents` (default 10). A SET not acknowledged is handed out again by the next poll, in the same order. The vault always ' +
      'answers at once. Each SET is signed with the keys at /jwks.json; see the README, "Receiving grant events".',
    body: { schema: pollSchema, description: 'RFC 8936 §2.4 poll request' },
    errors: [409],
    responses: { 200: { description: 'The next pending events', schema: pollResponseSchema } },
  },
];
