/**
 * Redirect URI rules for registration. Redirect URIs are compared later as exact strings
 * (RFC 9700 §4.1.3), so what is registered is kept exactly as sent and must already be canonical
 * enough to compare: no whitespace, no fragment, no user info.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const MAX_LENGTH = 2000;

/** Returns why the URI cannot be registered, or undefined when it can. */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length === 0 || uri.length > MAX_LENGTH) return `must be 1 to ${MAX_LENGTH} characters`;

  if (/[\s\x00-\x1f\x7f]/.test(uri)) return 'must not contain whitespace or control characters';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain user information';
  // Kept and compared as sent, but redirected to as parsed: the two must be the same string, so a
  // spelling a browser would rewrite (`https:host/cb`, `http://0x7f.1/`, an upper-case host) is refused.
  if (url.href !== uri && !(url.pathname === '/' && url.href === `${uri}/`))
    return `must be written in its canonical form (${url.href})`;
  if (url.protocol === 'https:') return undefined;
  // RFC 8252 §7.3 / §8.3: plain http is acceptable only on the loopback interface, where the
  // redirect never leaves the device. Everything else must be https (RFC 9700 §2.1).
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https (plain http is allowed only for loopback: 127.0.0.1, [::1] or localhost)';
}
