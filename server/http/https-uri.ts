/**
 * The rules every URI a company registers for the vault to send a browser or a request to shares (redirect
 * URIs, the grant-event push endpoint): absolute, https, or plain http on the loopback interface only, where
 * nothing leaves the machine (RFC 8252 §7.3, §8.3; RFC 9700 §2.1); no user information (the vault sends no
 * credentials in a URI) and no fragment (RFC 6749 §3.1.2). Each caller adds its own rule in `extra`, checked
 * after these and before the scheme.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const MAX_LENGTH = 2000;

/** Returns why the URI cannot be registered, or undefined when it can. */
export function httpsUriProblem(uri: string, extra?: (url: URL) => string | undefined): string | undefined {
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
  const problem = extra?.(url);
  if (problem) return problem;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https (plain http is allowed only for loopback: 127.0.0.1, [::1] or localhost)';
}
