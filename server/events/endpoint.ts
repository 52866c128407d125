/**
 * Rules for a company's RFC 8935 push endpoint (`event_delivery_endpoint`): https, or plain http on the
 * loopback interface for development (as for redirect URIs, RFC 8252 §8.3); no user information (the vault
 * sends no credentials) and no fragment. Redirects are never followed when pushing (push.ts). An IP literal
 * that is never a public host (link-local, metadata, unspecified, multicast) is refused here already; every
 * address, named or literal, is checked again when a SET is pushed (address-rule.ts).
 */
import { isIP } from 'node:net';
import { bareHost, blockedAddress } from './address-rule.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const MAX_LENGTH = 2000;

export function eventEndpointProblem(uri: string): string | undefined {
  if (uri.length === 0 || uri.length > MAX_LENGTH) return `must be 1 to ${MAX_LENGTH} characters`;
  if (/[\s\x00-\x1f\x7f]/.test(uri)) return 'must not contain whitespace or control characters';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain user information';
  const host = bareHost(url.hostname);
  if (isIP(host) && blockedAddress(host, true))
    return 'must not point at a link-local, unspecified or reserved address';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https (plain http is allowed only for loopback: 127.0.0.1, [::1] or localhost)';
}
