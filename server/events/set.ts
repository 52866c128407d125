import type { JWTPayload } from 'jose';
import { eventTypeUri, type EventType } from './types.ts';

/** The media type of a SET (RFC 8417 §2.3) and of its push body (RFC 8935 §2). */
export const SET_TYP = 'secevent+jwt';
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

export interface OutboxEvent {
  jti: string;
  companyId: string;
  grantId: string | null;
  eventType: string;
  data: string;
  createdAt: string;
}

/**
 * The claims of one SET (RFC 8417 §2.2): `aud` is the company's client_id; `sub_id` names the grant as an
 * opaque subject identifier (RFC 9493 §3.2.4); `toe` is when the change happened; the one member of `events`
 * is keyed by the event type URI. Built when it is sent, so it carries the issuer the vault has then.
 */
export function setClaims(e: OutboxEvent, publicUrl: string): JWTPayload {
  const at = Math.floor(Date.parse(e.createdAt) / 1000);
  const data = JSON.parse(e.data) as Record<string, unknown>;
  return {
    iss: publicUrl,
    iat: at,
    jti: e.jti,
    aud: e.companyId,
    toe: at,
    ...(e.grantId ? { sub_id: { format: 'opaque', id: e.grantId } } : {}),
    events: { [eventTypeUri(publicUrl, e.eventType as EventType)]: { ...data, event_timestamp: at } },
  };
}
