import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { openField, sealField } from '../crypto/field-cipher.ts';

/**
 * What a record's sealed column holds: its content and the vault's provenance signature, sealed together
 * under the customer's data key with associated data `customer id | record:<id> | 1` (ARCHITECTURE.md, "The
 * encrypted profile"). The signature stays inside the seal because it carries the content's digest, and a
 * digest of a short record in the clear could be guessed back to the record.
 */
export interface SealedRecord {
  content: unknown;
  /** Compact JWS (RFC 7515) over the record's digest and provenance; absent on records older than migration 0013. */
  provenance?: string;
}

const binding = (customerId: string, id: string) => ({ customerId, field: `record:${id}`, version: 1 });

export function sealRecord(dek: Uint8Array, customerId: string, id: string, rec: SealedRecord): Buffer {
  return sealField(dek, binding(customerId, id), { v: 2, ...rec });
}

export function openRecord(dek: Uint8Array, customerId: string, id: string, sealed: Uint8Array): SealedRecord {
  const opened = openField(dek, binding(customerId, id), sealed) as {
    v?: number;
    content?: unknown;
    provenance?: string;
  };
  // Records deposited before migration 0013 were sealed as bare content.
  return opened && opened.v === 2 ? { content: opened.content, provenance: opened.provenance } : { content: opened };
}

/** `sha-256:` and the base64url SHA-256 of the content's RFC 8785 canonical JSON: what a reader recomputes. */
export function recordDigest(content: unknown): string {
  return `sha-256:${createHash('sha256')
    .update(canonicalize(content) ?? 'null', 'utf8')
    .digest('base64url')}`;
}
