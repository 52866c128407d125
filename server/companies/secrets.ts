import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

/** Compares a presented value with a stored SHA-256 hex digest in constant time. */
export function matchesDigest(presented: string, storedHex: string | null | undefined): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  // An absent digest is compared against a fixed value of the same length, so timing does not tell.
  const b = storedHex && /^[0-9a-f]{64}$/.test(storedHex) ? Buffer.from(storedHex, 'hex') : Buffer.alloc(32, 0xff);
  return timingSafeEqual(a, b) && Boolean(storedHex);
}
