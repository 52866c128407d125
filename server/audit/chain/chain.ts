/**
 * The hash chain (ARCHITECTURE.md, "The audit trail"): hash(n) = SHA-256(raw bytes of hash(n-1) || canonical(event n)).
 * Pure functions: the store calls them inside the transaction of the action being audited, so an
 * event's seq, body and hash are fixed before the row is written.
 */
import { hash } from 'node:crypto';
import type { AuditEvent } from './event.ts';
import { jcs } from './jcs.ts';

/** The prev_hash of event 1: 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64);

const HASH_HEX = /^[0-9a-f]{64}$/;

/** True for a lowercase 64-digit hex SHA-256, the only spelling the chain writes. */
export function isHashHex(value: unknown): value is string {
  return typeof value === 'string' && HASH_HEX.test(value);
}

/**
 * RFC 8785 JSON Canonicalization Scheme: sorted keys, no whitespace, ECMAScript number format.
 * Keys whose value is undefined are dropped, so an optional field left unset hashes the same as
 * one never mentioned (jcs.ts).
 */
export function canonical(event: AuditEvent): string {
  return jcs(event);
}

/**
 * SHA-256 over the 32 raw bytes of the previous hash followed by the UTF-8 canonical text.
 * Hashing the raw bytes rather than the hex keeps the preimage unambiguous and is what the
 * offline verifier recomputes byte for byte.
 */
export function chainHash(prevHashHex: string, canonicalText: string): string {
  // Buffer.from(…, 'hex') silently stops at the first bad digit, which would hash a short prefix.
  if (!isHashHex(prevHashHex)) throw new TypeError('prev hash must be 64 lowercase hex digits');
  // One buffer and node's one-shot hash: a Hash object per event cost more than the hashing (every read appends one).
  const preimage = Buffer.allocUnsafe(32 + Buffer.byteLength(canonicalText, 'utf8'));
  preimage.write(prevHashHex, 0, 'hex');
  preimage.write(canonicalText, 32, 'utf8');
  return hash('sha256', preimage, 'hex');
}

export interface ChainLink {
  event: AuditEvent;
  /** The canonical text to store in `body`: the exact bytes that were hashed. */
  body: string;
  hash: string;
}

/**
 * Builds event `seq` on top of `prevHash`. The store reads the head (seq, hash) and calls this in
 * the same write transaction, so two concurrent appends cannot both link to the same head.
 */
export function nextLink(prevHash: string, event: Omit<AuditEvent, 'seq'>, seq: number): ChainLink {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError('seq must be a positive integer');
  // Build a fresh object so a caller-supplied `seq` (or other stray key) cannot override ours.
  const full: AuditEvent = { ...event, seq };
  const body = canonical(full);
  return { event: full, body, hash: chainHash(prevHash, body) };
}
