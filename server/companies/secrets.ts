import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets, registration access tokens and initial access tokens are random 256-bit values, so a
 * plain SHA-256 is enough to store them (ARCHITECTURE.md, "Speed": slow KDFs are for human passwords and would cap the
 * token endpoint). Only the digest is kept; the value is shown once.
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;
/** What an absent or malformed stored digest is compared against: the same length, matching no SHA-256 hex. */
const NO_DIGEST = Buffer.alloc(64, 0x78);

/**
 * Compares a presented value with a stored SHA-256 hex digest in constant time. Both sides are compared as
 * their 64 hex characters (node:crypto's one-shot hash, no hash object or hex decoding per call: this runs on
 * every client_secret_basic token request).
 */
export function matchesDigest(presented: string, storedHex: string | null | undefined): boolean {
  const a = Buffer.from(hash('sha256', presented, 'hex'), 'latin1');
  // An absent digest is compared against a fixed value of the same length, so timing does not tell.
  const b = storedHex && HEX_DIGEST.test(storedHex) ? Buffer.from(storedHex, 'latin1') : NO_DIGEST;
  return timingSafeEqual(a, b) && Boolean(storedHex);
}
