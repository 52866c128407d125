import { BASIC_CHALLENGE, errorChallenge, missingTokenChallenge } from '../oauth/challenge.ts';

/**
 * The one error vocabulary of the vault. Every error a client can see is one of these classes; the
 * problem handler turns them into RFC 9457 application/problem+json. Anything else is a bug and
 * becomes a bare 500 whose cause is only logged.
 */

/**
 * RFC 9457 §3.1.1: the problem `type` is an absolute URI, here under the vault's own public URL
 * (`{publicUrl}/problems/{slug}`), so that it names this deployment and resolves to its documentation.
 * The slugs are stable: the README lists them.
 */
export const problemType = (publicUrl: string, slug: string): string => `${publicUrl}/problems/${slug}`;

/** What a challenge may add for the resource being called (RFC 9728 §5.1 `resource_metadata`). */
export interface ChallengeContext {
  resourceMetadata?: string;
}

export interface ProblemExtras {
  [key: string]: unknown;
}

export abstract class VaultError extends Error {
  abstract readonly status: number;
  /** Stable slug; the problem `type` is problemType(publicUrl, slug). */
  abstract readonly slug: string;
  abstract readonly title: string;
  constructor(
    readonly detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
  }
  /** Headers the response must carry (WWW-Authenticate, Retry-After). */
  headers(_challenge: ChallengeContext = {}): Record<string, string> {
    return {};
  }
}

export class BadRequest extends VaultError {
  readonly status = 400;
  readonly slug = 'bad-request';
  readonly title = 'The request is malformed';
}

export class ValidationFailed extends VaultError {
  readonly status = 400;
  readonly slug = 'validation-failed';
  readonly title = 'The request did not pass validation';
}

export class Unauthenticated extends VaultError {
  readonly status = 401;
  readonly slug = 'unauthenticated';
  readonly title = 'Authentication is required';
}

export class CsrfRejected extends VaultError {
  readonly status = 403;
  readonly slug = 'csrf-rejected';
  readonly title = 'The request lacks a valid CSRF token';
}

export class Forbidden extends VaultError {
  readonly status = 403;
  readonly slug = 'forbidden';
  readonly title = 'This action is not allowed';
}

/** A policy decision said no; `reasons` tells the caller why (ARCHITECTURE.md, "Where policy decisions happen"). */
export class PolicyDenied extends VaultError {
  readonly status = 403;
  readonly slug = 'policy-denied';
  readonly title = 'The mutuality policy refuses this request';
}

/**
 * A use the grant itself does not cover (a field, action, claim, record category, window or source outside it): the
 * same 403 problem, with the challenge RFC 6750 §3 asks of a token that does not allow the request,
 * `error="insufficient_scope"` (§3.1), in the token's own scheme.
 */
export class OutsideGrant extends PolicyDenied {
  constructor(
    detail: string,
    extras: ProblemExtras,
    readonly scheme: 'Bearer' | 'DPoP',
  ) {
    super(detail, extras);
  }
  override headers(challenge: ChallengeContext = {}): Record<string, string> {
    const header = errorChallenge(this.scheme, 'insufficient_scope', this.detail, challenge.resourceMetadata);
    return { 'www-authenticate': header };
  }
}

/** Another tenant's object is reported as missing so that its existence does not leak (ARCHITECTURE.md, "Errors"). */
export class NotFound extends VaultError {
  readonly status = 404;
  readonly slug = 'not-found';
  readonly title = 'Not found';
}

export class Conflict extends VaultError {
  readonly status = 409;
  readonly slug = 'conflict';
  readonly title = 'The request conflicts with the current state';
}

/** The customer's vault holds as many records as it keeps (SECURITY.md "Floods and bounds"): nothing is added. */
export class RecordsFull extends VaultError {
  readonly status = 409;
  readonly slug = 'records-full';
  readonly title = "The customer's vault holds as many records as it keeps";
}

/** The company's terms changed after the customer was shown them: approving would accept terms not seen. */
export class TermsChanged extends VaultError {
  readonly status = 409;
  readonly slug = 'terms-changed';
  readonly title = "The company's terms changed since they were shown";
}

export class PayloadTooLarge extends VaultError {
  readonly status = 413;
  readonly slug = 'payload-too-large';
  readonly title = 'The request body is too large';
}

export class UnsupportedMediaType extends VaultError {
  readonly status = 415;
  readonly slug = 'unsupported-media-type';
  readonly title = 'The request body has an unsupported media type';
}

export class TooManyRequests extends VaultError {
  readonly status = 429;
  readonly slug = 'too-many-requests';
  readonly title = 'Too many requests';
  constructor(
    detail: string,
    readonly retryAfterSeconds = 60,
  ) {
    super(detail);
  }
  override headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

export class ServiceUnavailable extends VaultError {
  readonly status = 503;
  readonly slug = 'unavailable';
  readonly title = 'The service is not available';
  constructor(
    detail: string,
    /** When set, a Retry-After (RFC 9110 §10.2.3) tells the client when to try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
  override headers(): Record<string, string> {
    return this.retryAfterSeconds === undefined ? {} : { 'retry-after': String(this.retryAfterSeconds) };
  }
}

/**
 * OAuth endpoint errors (RFC 6749 §5.2, RFC 6750 §3, RFC 9449 §7). They are problem+json like every
 * other error but also carry the OAuth `error` code, and for resource requests a WWW-Authenticate.
 */
export class OAuthError extends VaultError {
  readonly slug: string;
  readonly title: string;
  constructor(
    readonly status: number,
    readonly error: string,
    detail: string,
    readonly scheme?: 'Bearer' | 'DPoP' | 'Basic',
    extras: ProblemExtras = {},
  ) {
    super(detail, { error, error_description: detail, ...extras });
    this.slug = `oauth/${error}`;
    this.title = error.replace(/_/g, ' ');
  }
  override headers(challenge: ChallengeContext = {}): Record<string, string> {
    if (!this.scheme) return {};
    if (this.scheme === 'Basic') return { 'www-authenticate': BASIC_CHALLENGE };
    return { 'www-authenticate': errorChallenge(this.scheme, this.error, this.detail, challenge.resourceMetadata) };
  }
}

/**
 * A resource request that carries no access token at all (RFC 6750 §3.1): 401 with the schemes the
 * resource accepts and no error code, so a client learns how to authenticate rather than what went wrong.
 */
export class MissingToken extends OAuthError {
  constructor(detail: string) {
    super(401, 'invalid_request', detail);
  }
  override headers(challenge: ChallengeContext = {}): Record<string, string> {
    return { 'www-authenticate': missingTokenChallenge(challenge.resourceMetadata) };
  }
}
