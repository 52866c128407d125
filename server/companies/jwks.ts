import { importJWK, type JWK } from 'jose';
import { CLIENT_ASSERTION_ALGS, ED25519_ALGS } from '../oauth/algorithms.ts';
import type { PublicJwks } from './types.ts';

export { CLIENT_ASSERTION_ALGS };
type Alg = (typeof CLIENT_ASSERTION_ALGS)[number];
export interface KeyIssue {
  path: string;
  message: string;
}

// RFC 7518 §6.2.2, §6.3.2 and RFC 8037 §2: the members that carry private or symmetric key material.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const MAX_KEYS = 10;
const MIN_RSA_BITS = 2048;

function algFor(key: Record<string, unknown>): Alg | string {
  if (key.kty === 'OKP') return key.crv === 'Ed25519' ? 'Ed25519' : 'OKP keys must use crv "Ed25519"';
  if (key.kty === 'EC') return key.crv === 'P-256' ? 'ES256' : 'EC keys must use crv "P-256"';
  if (key.kty === 'RSA') return 'RS256';
  return 'kty must be "OKP" (Ed25519), "EC" (P-256) or "RSA"';
}

const isEd25519 = (alg: unknown) => (ED25519_ALGS as readonly unknown[]).includes(alg);
// RFC 9864 §2: `EdDSA` with an Ed25519 key is the same algorithm as the fully specified `Ed25519`.
const sameAlg = (a: unknown, b: string) => a === b || (isEd25519(a) && isEd25519(b));

/**
 * The registered keys as the assertion check uses them: an Ed25519 key verifies under either name,
 * whichever one it was registered with (jose matches a key's `alg` to the header's exactly).
 */
export function verificationJwks(jwks: PublicJwks): PublicJwks {
  return {
    keys: jwks.keys.map((k) => {
      if (!isEd25519(k.alg)) return k;
      const { alg: _alg, ...rest } = k;
      return rest;
    }),
  };
}

/** A key problem is a sentence; undefined when the key is acceptable. Structure only, no crypto. */
function keyProblem(key: Record<string, unknown>): string | undefined {
  const leaked = PRIVATE_MEMBERS.filter((m) => m in key);
  if (leaked.length) return `holds private key material (${leaked.join(', ')}); register public keys only`;
  const alg = algFor(key);
  if (!(CLIENT_ASSERTION_ALGS as readonly string[]).includes(alg)) return alg;
  if (key.alg !== undefined && !sameAlg(key.alg, alg)) return `alg must be "${alg}" for this key type`;
  if (key.use !== undefined && key.use !== 'sig') return 'use must be "sig"';
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.every((o) => o === 'verify')))
    return 'key_ops may only contain "verify"';
  if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid.length === 0 || key.kid.length > 200))
    return 'kid must be a non-empty string';
  if (key.kty === 'RSA') {
    if (typeof key.n !== 'string' || typeof key.e !== 'string') return 'RSA keys need n and e';
    if (Math.floor((key.n.replace(/=+$/, '').length * 6) / 8) * 8 < MIN_RSA_BITS)
      return `RSA keys must be at least ${MIN_RSA_BITS} bits`;
  }
  return undefined;
}

/**
 * Checks a registered `jwks` (RFC 7591 §2): 1–10 public signing keys of the accepted types, with a
 * unique `kid` each when there is more than one, and key material that actually imports. Returns the
 * problems found, each naming its key, or an empty list.
 */
export async function jwksProblems(jwks: unknown): Promise<KeyIssue[]> {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as PublicJwks).keys))
    return [{ path: 'jwks', message: 'must be an object with a "keys" array' }];
  const keys = (jwks as PublicJwks).keys;
  if (keys.length === 0 || keys.length > MAX_KEYS)
    return [{ path: 'jwks.keys', message: `must hold 1 to ${MAX_KEYS} keys` }];
  const problems: KeyIssue[] = [];
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      problems.push({ path: `jwks.keys.${i}`, message: 'must be a JSON Web Key object' });
      continue;
    }
    const problem = keyProblem(key);
    if (problem) {
      problems.push({ path: `jwks.keys.${i}`, message: problem });
      continue;
    }
    if (keys.length > 1 && typeof key.kid !== 'string')
      problems.push({ path: `jwks.keys.${i}`, message: 'kid is required when there are several keys' });
    if (typeof key.kid === 'string') {
      if (kids.has(key.kid)) problems.push({ path: `jwks.keys.${i}`, message: `kid "${key.kid}" is used twice` });
      kids.add(key.kid);
    }
    try {
      await importJWK(key as JWK, algFor(key));
    } catch {
      problems.push({
        path: `jwks.keys.${i}`,
        message: `the key material is not a valid ${String(key.kty)} public key`,
      });
    }
  }
  return problems;
}
