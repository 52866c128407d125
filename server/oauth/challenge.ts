import { DPOP_ALGS } from './algorithms.ts';

/**
 * WWW-Authenticate challenges for token errors: RFC 6750 §3 (Bearer), RFC 9449 §7.1 (DPoP, with the
 * proof algorithms the vault accepts), RFC 9728 §5.1 (`resource_metadata`). The error vocabulary
 * (http/errors.ts) calls these; the only import is the algorithm list, so no cycle can form.
 */

/** An error challenge for one scheme; `resourceMetadata` is a server-made URL. */
export function errorChallenge(
  scheme: 'Bearer' | 'DPoP',
  error: string,
  detail: string,
  resourceMetadata?: string,
): string {
  const algs = scheme === 'DPoP' ? `, algs="${DPOP_ALGS.join(' ')}"` : '';
  return `${scheme} realm="vault", error="${error}", error_description="${headerSafe(detail)}"${algs}${meta(resourceMetadata)}`;
}

/**
 * A resource request without any token (RFC 6750 §3.1): the schemes the resource accepts and no error
 * code, so a client learns how to authenticate rather than what went wrong.
 */
export function missingTokenChallenge(resourceMetadata?: string): string {
  const m = meta(resourceMetadata);
  return `Bearer realm="vault"${m}, DPoP realm="vault", algs="${DPOP_ALGS.join(' ')}"${m}`;
}

export const BASIC_CHALLENGE = 'Basic realm="vault"';

const meta = (url?: string) => (url ? `, resource_metadata="${url}"` : '');

/**
 * RFC 6750 §3: error_description is limited to printable ASCII without `"` and `\`. The detail may quote
 * parts of a hostile token (jose repeats its header values), which must never reach a header raw.
 */
function headerSafe(text: string): string {
  return text
    .replace(/"/g, "'")
    .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')
    .slice(0, 300);
}
