import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { OAuthError } from '../http/errors.ts';
import { parseJwks, toCompany } from './company-record.ts';
import { CLIENT_ASSERTION_ALGS, verificationJwks } from './jwks.ts';
import { matchesDigest } from './secrets.ts';
import type { CompanyRow, CompanyStore } from './store.ts';
import type { CompaniesDeps, Company, PublicJwks } from './types.ts';
import type { GroupCommit } from '../db/group-commit.ts';
import type { ReplayStore } from '../db/shared/types.ts';

/** RFC 7523 §2.2: the client_assertion_type for a JWT bearer client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The request parameters that carry client credentials (RFC 6749 §2.3, RFC 7521 §4.2). */
export const CLIENT_AUTH_PARAMS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'] as const;

/** An assertion may live at most this long (RFC 7523 §3 item 4 lets the server limit exp); README says so. */
export const MAX_ASSERTION_LIFETIME_S = 300;
export const CLOCK_SKEW_S = 30;
const MAX_ID_LENGTH = 200;
const KEY_SET_CACHE_MAX = 1000;

export interface ClientAuthInput {
  /** The Authorization request header, if any. */
  authorization?: string;
  /** The parsed form body of the request. */
  body: Record<string, unknown>;
  /** The endpoint called. Not an accepted audience: an assertion names the issuer whatever the endpoint. */
  endpoint?: string;
}

/**
 * One answer for every failure, whichever part was wrong (RFC 6749 §5.2 `invalid_client`, 401 with
 * WWW-Authenticate since the client may have used the Authorization header).
 */
const failed = () => new OAuthError(401, 'invalid_client', 'Client authentication failed', 'Basic');

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ":" and base64-encoded. */
function parseBasic(header: string): { id: string; secret: string } {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!m) throw failed();
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw failed();
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw failed();
  }
}

/** application/x-www-form-urlencoded decoding; most ids and secrets have nothing to decode, so they skip it. */
function formDecode(s: string): string {
  return s.includes('%') || s.includes('+') ? decodeURIComponent(s.replace(/\+/g, ' ')) : s;
}

const usable = (row: CompanyRow | undefined, method: CompanyRow['authMethod']): row is CompanyRow =>
  row !== undefined && row.status === 'active' && row.authMethod === method;

export function createClientAuthenticator(
  deps: CompaniesDeps,
  store: CompanyStore,
  replay: ReplayStore,
  commit?: GroupCommit,
) {
  const issuer = deps.config.publicUrl;
  // The key set a company registered, imported once per JWKS text (importing a key costs more than checking
  // a signature with it): a changed JWKS is a different text, so an update takes effect on the next request.
  const keySets = new Map<string, ReturnType<typeof createLocalJWKSet>>();
  const keySetOf = (jwksText: string, jwks: PublicJwks) => {
    let set = keySets.get(jwksText);
    if (!set) {
      if (keySets.size >= KEY_SET_CACHE_MAX) keySets.delete(keySets.keys().next().value!);
      set = createLocalJWKSet(verificationJwks(jwks) as JSONWebKeySet);
      keySets.set(jwksText, set);
    }
    return set;
  };
  // The replay record of an assertion's jti is durable before the client is let in: through the group commit
  // (one shared WAL fsync per batch, ARCHITECTURE.md "The audited unit and group commit") when there is one.
  const firstUse = (jti: string, expiresAt: string): Promise<boolean> | boolean =>
    commit
      ? commit.submit(() => replay.firstUse('client-assertion', jti, expiresAt))
      : replay.firstUse('client-assertion', jti, expiresAt);

  async function viaSecret(header: string): Promise<CompanyRow> {
    const { id, secret } = parseBasic(header);
    const row = id.length <= MAX_ID_LENGTH ? await store.companyById(id) : undefined;
    // The digest comparison runs even for an unknown id so that timing does not reveal which it was.
    const ok = matchesDigest(secret, row?.secretHash);
    if (!ok || !usable(row, 'client_secret_basic')) throw failed();
    return row;
  }

  /** RFC 7523 §3 processing rules, with RFC 7521 §5.2 single use of the assertion. */
  async function viaAssertion(body: Record<string, unknown>): Promise<CompanyRow> {
    const assertion = body.client_assertion;
    if (
      body.client_assertion_type !== CLIENT_ASSERTION_TYPE ||
      typeof assertion !== 'string' ||
      assertion.length > 8192
    )
      throw failed();
    let clientId: unknown;
    try {
      const unverified = decodeJwt(assertion);
      // §3 items 1–2: iss and sub are both the client_id; the key to check with is found through them.
      clientId = unverified.sub === unverified.iss ? unverified.sub : undefined;
    } catch {
      throw failed();
    }
    if (typeof clientId !== 'string' || clientId.length > MAX_ID_LENGTH) throw failed();
    const row = await store.companyById(clientId);
    const jwks = row ? parseJwks(row.jwks) : undefined;
    if (!usable(row, 'private_key_jwt') || !jwks) throw failed();

    const now = deps.clock.now();
    let exp: number;
    let jti: unknown;
    let aud: unknown;
    try {
      const { payload } = await jwtVerify(assertion, keySetOf(row.jwks!, jwks), {
        algorithms: [...CLIENT_ASSERTION_ALGS],
        issuer: clientId,
        subject: clientId,
        requiredClaims: ['exp', 'jti', 'aud'],
        currentDate: now,
        clockTolerance: CLOCK_SKEW_S,
      });
      exp = payload.exp!;
      jti = payload.jti;
      aud = payload.aud;
    } catch {
      throw failed();
    }
    // §3 item 3 as updated against audience injection (draft-ietf-oauth-rfc7523bis): the audience is
    // the issuer identifier alone, as a single string. An endpoint URL or an array (which could also name
    // another server that would accept the same assertion) is refused.
    if (aud !== issuer) throw failed();
    const nowS = Math.floor(now.getTime() / 1000);
    if (exp > nowS + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) throw failed();
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw failed();

    // §3 item 7 / RFC 7521 §5.2: a jti is accepted once while the assertion could still be valid.
    // The replay store is shared with DPoP proofs (its own namespace); the client id is part of the key.
    // Expired ids are purged by the server's periodic sweep, not on this path.
    const expiresAt = new Date((exp + CLOCK_SKEW_S) * 1000).toISOString();
    if (!(await firstUse(`${clientId}:${jti}`, expiresAt))) throw failed();
    return row;
  }

  /**
   * Authenticates the client of a token, PAR, introspection or revocation request. A client must
   * use the method it registered, and only one method per request (RFC 6749 §2.3). A `client_id` in
   * the body, which RFC 6749 §3.2.1 and RFC 9126 allow, must name the authenticated client.
   */
  async function authenticateClient(input: ClientAuthInput): Promise<Company> {
    const body = input.body ?? {};
    const hasAssertion = body.client_assertion !== undefined || body.client_assertion_type !== undefined;
    // client_secret_post is not offered: a secret in the body is refused rather than ignored.
    if (body.client_secret !== undefined) throw failed();
    if (input.authorization !== undefined && hasAssertion) throw failed();
    let row: CompanyRow;
    if (input.authorization !== undefined) row = await viaSecret(input.authorization);
    else if (hasAssertion) row = await viaAssertion(body);
    else throw failed();
    if (body.client_id !== undefined && body.client_id !== row.id) throw failed();
    return toCompany(row);
  }

  return { authenticateClient };
}

/** The body without the client-authentication parameters, for endpoints that check for unknown ones. */
export function withoutClientAuthParams(body: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...body };
  for (const p of CLIENT_AUTH_PARAMS) delete rest[p];
  return rest;
}
