import { httpsUriProblem } from '../http/https-uri.ts';

/**
 * Redirect URI rules for registration. Redirect URIs are compared later as exact strings
 * (RFC 9700 §4.1.3), so what is registered is kept exactly as sent and must already be canonical
 * enough to compare: no whitespace, no fragment (RFC 6749 §3.1.2), no user info; https, or plain http
 * on loopback (RFC 8252 §7.3 / §8.3) — the rules shared with every registered URI (http/https-uri.ts).
 */
export function redirectUriProblem(uri: string): string | undefined {
  // Kept and compared as sent, but redirected to as parsed: the two must be the same string, so a
  // spelling a browser would rewrite (`https:host/cb`, `http://0x7f.1/`, an upper-case host) is refused.
  return httpsUriProblem(uri, (url) =>
    url.href !== uri && !(url.pathname === '/' && url.href === `${uri}/`)
      ? `must be written in its canonical form (${url.href})`
      : undefined,
  );
}
