/**
 * Rules for a company's RFC 8935 push endpoint (`event_delivery_endpoint`): those of every registered URI
 * (http/https-uri.ts: https, or plain http on loopback for development as for redirect URIs, RFC 8252 §8.3;
 * no user information, since the vault sends no credentials, and no fragment). Redirects are never followed
 * when pushing (push.ts). An IP literal that is never a public host (link-local, metadata, unspecified,
 * multicast) is refused here already; every address, named or literal, is checked again when a SET is pushed
 * (address-rule.ts).
 */
import { isIP } from 'node:net';
import { httpsUriProblem } from '../http/https-uri.ts';
import { bareHost, blockedAddress } from './address-rule.ts';

export function eventEndpointProblem(uri: string): string | undefined {
  return httpsUriProblem(uri, (url) => {
    const host = bareHost(url.hostname);
    return isIP(host) && blockedAddress(host, true)
      ? 'must not point at a link-local, unspecified or reserved address'
      : undefined;
  });
}
