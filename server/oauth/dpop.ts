import { hash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify, type JWK } from 'jose';
import { OAuthError } from '../http/errors.ts';
import { DPOP_ALGS } from './algorithms.ts';
import type { ClientView } from './request-params.ts';

/**
 * DPoP proof validation, RFC 9449 §4.3: one proof JWT in the DPoP header, typ dpop+jwt, an asymmetric
 * alg, the public key in `jwk`, signature valid under it, `htm`/`htu` naming this request, `iat` fresh,
 * `jti` never seen before, and for resource requests `ath` = base64url(SHA-256(access token)).
 */
export { DPOP_ALGS };
const MAX_AGE_SECONDS = 60;

export interface DpopCheck {
  proof: string | undefined;
  method: string;
  url: string;
  now: Date;
  accessToken?: string;
  /** Records the jti; returns false on replay. */
  claimJti: (jti: string, expiresAt: string) => Promise<boolean>;
  /** 'token' endpoint errors are invalid_dpop_proof (400); resource errors are 401 with a DPoP challenge. */
  where: 'token' | 'resource';
}

function fail(where: DpopCheck['where'], msg: string): OAuthError {
  return where === 'token'
    ? new OAuthError(400, 'invalid_dpop_proof', msg)
    : new OAuthError(401, 'invalid_dpop_proof', msg, 'DPoP');
}

export const athOf = (token: string) => hash('sha256', token, 'base64url');

/** Returns the JWK thumbprint (jkt) the proof is bound to. */
export async function verifyDpopProof(c: DpopCheck): Promise<string> {
  if (!c.proof) throw fail(c.where, 'DPoP proof required');
  if (c.proof.includes(',')) throw fail(c.where, 'exactly one DPoP header is allowed');
  let payload, protectedHeader;
  try {
    ({ payload, protectedHeader } = await jwtVerify(c.proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: DPOP_ALGS,
      currentDate: c.now,
      clockTolerance: 5,
    }));
  } catch (e) {
    throw fail(c.where, `DPoP proof rejected: ${(e as Error).message}`);
  }
  const nowS = Math.floor(c.now.getTime() / 1000);
  if (typeof payload.iat !== 'number' || Math.abs(nowS - payload.iat) > MAX_AGE_SECONDS)
    throw fail(c.where, 'DPoP proof iat is not fresh');
  if (payload.htm !== c.method) throw fail(c.where, 'DPoP proof htm does not match the request method');
  const strip = (u: string) => {
    try {
      const x = new URL(u);
      return `${x.protocol}//${x.host}${x.pathname}`;
    } catch {
      return '';
    }
  };
  if (typeof payload.htu !== 'string' || strip(payload.htu) !== strip(c.url))
    throw fail(c.where, 'DPoP proof htu does not match the request URL');
  if (c.accessToken !== undefined && payload.ath !== athOf(c.accessToken))
    throw fail(c.where, 'DPoP proof ath does not match the access token');
  if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 200)
    throw fail(c.where, 'DPoP proof needs a jti');
  const jkt = await calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256');
  if (!(await c.claimJti(`${jkt}:${payload.jti}`, new Date((payload.iat + MAX_AGE_SECONDS * 2) * 1000).toISOString())))
    throw fail(c.where, 'DPoP proof replayed');
  return jkt;
}

/**
 * RFC 9449 §5 and RFC 7591 `dpop_bound_access_tokens`: a client registered for DPoP gets no token
 * without a proof, whatever the grant type. Every grant calls this once its own checks have passed.
 */
export function requireDpopIfBound(client: ClientView, jkt: string | null): void {
  if (client.dpopBound && !jkt) throw new OAuthError(400, 'invalid_dpop_proof', 'this client must use DPoP');
}
