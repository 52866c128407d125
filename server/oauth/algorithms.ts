/**
 * The JWS algorithms the vault accepts from others, in one place: checked by oauth/dpop.ts and
 * companies/client-auth.ts, advertised in the RFC 8414 / RFC 9728 metadata and in DPoP challenges.
 * No imports, so that oauth/challenge.ts (which the error vocabulary uses) can name them without a cycle.
 *
 * RFC 9864 §2 registers the fully specified `Ed25519`; the polymorphic `EdDSA` (RFC 8037) is kept for
 * clients that still send it. Both mean Ed25519 here: only Ed25519 OKP keys are accepted.
 */
export const ED25519_ALGS = ['Ed25519', 'EdDSA'] as const;

/** DPoP proof algorithms (RFC 9449 §7.1). */
export const DPOP_ALGS: string[] = [...ED25519_ALGS, 'ES256'];

/** Client assertion algorithms for private_key_jwt (RFC 7523 §3 leaves the choice to the server). */
export const CLIENT_ASSERTION_ALGS = [...ED25519_ALGS, 'ES256', 'RS256'] as const;
