import type { Actor, Grant, GrantChange } from '../grants/service.ts';

/**
 * Grant events for companies, as Security Event Tokens (RFC 8417). Each kind of event has a type URI in the
 * style of the OpenID Shared Signals / CAEP event types (`.../secevent/<profile>/event-type/<name>`), under the
 * vault's public URL like the problem types (README.md, "Receiving grant events").
 */
export const EVENT_TYPES = [
  'grant-created',
  'grant-narrowed',
  'grant-suspended',
  'grant-resumed',
  'grant-revoked',
  'grant-expired',
  'deletion-requested',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const eventTypeUri = (publicUrl: string, type: EventType) => `${publicUrl}/secevent/consent/event-type/${type}`;

export const GRANT_CHANGE_EVENT: Record<GrantChange, EventType> = {
  approved: 'grant-created',
  narrowed: 'grant-narrowed',
  suspended: 'grant-suspended',
  resumed: 'grant-resumed',
  revoked: 'grant-revoked',
  expired: 'grant-expired',
};

/** CAEP §2 `initiating_entity`: who caused the change, in CAEP's four words. */
export function initiatingEntity(actor: Actor): 'user' | 'admin' | 'policy' | 'system' {
  if (actor.kind === 'customer') return 'user';
  if (actor.kind === 'company' || actor.kind === 'operator' || actor.kind === 'auditor') return 'admin';
  return actor.id === 'policy' ? 'policy' : 'system';
}

/** What a grant event says: server-made values only (ids, catalogue field names, purposes, times). */
export function grantEventData(g: Grant, actor: Actor) {
  return {
    grant_id: g.id,
    status: g.status,
    purpose: g.purpose,
    fields: g.fields,
    actions: g.actions,
    expires_at: g.expiresAt,
    initiating_entity: initiatingEntity(actor),
  };
}

/**
 * A deletion request (issue 17, built in server/deletions/): the deletions module calls `emitDeletionRequested`
 * inside the transaction that opens the request, so the event commits with it.
 */
export interface DeletionRequestedEvent {
  customerId: string;
  companyId: string;
  grantId: string;
  deletionId: string;
  fields: string[];
  /** ISO 8601: when the company must have confirmed the deletion. */
  deadline: string;
}
