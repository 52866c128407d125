import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, blockedAddress } from './address-rule.ts';

/** The endpoint's host is, or resolves to, an address the vault must not reach (address-rule.ts). */
export class BlockedAddress extends Error {
  override name = 'BlockedAddress';
}

/**
 * A DNS lookup that refuses names resolving to a blocked address. The socket connects to the very address
 * checked here, so a name that resolves once to a public address and then to a private one (DNS rebinding)
 * gains nothing. When a name has several addresses, one blocked address refuses them all.
 */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, options as LookupOptions, (err, address, family) => {
      if (err) return callback(err, address as string, family);
      const all: LookupAddress[] = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
      if (all.length === 0 || all.some((a) => blockedAddress(a.address, allowPrivate)))
        return callback(new BlockedAddress('the endpoint resolves to a blocked address'), '', 4);
      (callback as (e: null, a: string | LookupAddress[], f?: number) => void)(null, address, family);
    });
  };
}

/**
 * POSTs one SET (RFC 8935 §2) and resolves with the response once its head arrives. No redirect is followed;
 * the abort signal bounds the lookup, the connection and the reading of the body.
 */
export function postSet(
  endpoint: string,
  headers: Record<string, string>,
  body: string,
  opts: { allowPrivate: boolean; signal: AbortSignal },
): Promise<IncomingMessage> {
  const url = new URL(endpoint);
  const host = bareHost(url.hostname);
  if (isIP(host) && blockedAddress(host, opts.allowPrivate))
    return Promise.reject(new BlockedAddress('the endpoint is a blocked address'));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: checkedLookup(opts.allowPrivate),
      signal: opts.signal,
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads a response body up to `max` bytes, then lets the rest go. */
export async function readUpTo(res: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= max) break;
  }
  res.destroy();
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
