import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { openField, openFieldText, sealField } from '../crypto/field-cipher.ts';

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

/** A record opened for a read: its content parsed (the window is judged on it) and as the JSON text sealed. */
export interface OpenedRecord {
  content: unknown;
  contentJson: string;
  provenance?: string;
  digest: string;
}

// How sealRecord's JSON.stringify lays out a format-2 record: `{"v":2,"content":…,"provenance":"<JWS>"}`.
const V2_HEAD = '{"v":2,"content":';
const V2_PROVENANCE = ',"provenance":"';
const COMPACT_JWS = /^[\w-]+\.([\w-]+)\.[\w-]+$/;
const DIGEST = /"digest":"(sha-256:[\w-]{43})"/;

/**
 * Opens a record for the cross-company read without a JSON round trip of what the page passes on unchanged
 * (ARCHITECTURE.md "Speed": parsing, re-serialising and canonicalising every record was most of a read). The
 * AEAD tag proves these bytes are what sealRecord wrote, so their layout is known: the provenance JWS is the
 * last member and holds only base64url and dots, so the last `,"provenance":"` is that member's start and the
 * text before it is the content's own JSON. The digest is read from the JWS payload: the vault computed it
 * from this very content at deposit and sealed both together. Its signature is not verified again here: the
 * vault made it and the seal protects it; the company verifies it against /jwks.json. Anything else (records
 * sealed before migration 0013, without a signature) is parsed and its digest computed, as before.
 */
export function openRecordForRead(dek: Uint8Array, customerId: string, id: string, sealed: Uint8Array): OpenedRecord {
  const text = openFieldText(dek, binding(customerId, id), sealed);
  const at = text.lastIndexOf(V2_PROVENANCE);
  if (text.startsWith(V2_HEAD) && at > 0 && text.endsWith('"}')) {
    const provenance = text.slice(at + V2_PROVENANCE.length, -2);
    const payload = COMPACT_JWS.exec(provenance)?.[1];
    const digest = payload && DIGEST.exec(Buffer.from(payload, 'base64url').toString('utf8'))?.[1];
    if (digest) {
      const contentJson = text.slice(V2_HEAD.length, at);
      return { content: JSON.parse(contentJson), contentJson, provenance, digest };
    }
  }
  const rec = openRecord(dek, customerId, id, sealed);
  const contentJson = JSON.stringify(rec.content);
  return { ...rec, contentJson, digest: recordDigest(rec.content) };
}

/** `sha-256:` and the base64url SHA-256 of the content's RFC 8785 canonical JSON: what a reader recomputes. */
export function recordDigest(content: unknown): string {
  return `sha-256:${createHash('sha256')
    .update(canonicalize(content) ?? 'null', 'utf8')
    .digest('base64url')}`;
}
