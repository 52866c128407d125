/**
 * The token-endpoint figures for `npm run bench` (issue 18): node-oidc-provider (the reference
 * authorization server in Node, in-memory adapter) against the vault's own /token and /introspect, and
 * the vault's refresh grant with rotation. Load generation is in run.ts; this file starts the peer and
 * builds each target's requests.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { KeyObject, randomUUID, sign } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import { obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import type { Customer } from '../support/browser-like.ts';
import type { RunningVault } from '../support/vault.ts';

const PEER_CLIENT = 'bench-client';
const PEER_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const FORM = 'application/x-www-form-urlencoded';

export const basicAuth = (id: string, secret: string) =>
  'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');

/** node-oidc-provider as a child process; its client authenticates with client_secret_basic. */
export async function startPeer(
  root: string,
  waitFor: (url: string, child: ReturnType<typeof spawn>) => Promise<void>,
) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'test/bench/oidc-peer.mjs')], {
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/.well-known/openid-configuration`, child);
  return {
    url,
    pid: child.pid!,
    child,
    tokenUrl: `${url}/token`,
    introspectUrl: `${url}/token/introspection`,
    authorization: basicAuth(PEER_CLIENT, PEER_SECRET),
  };
}

/** One form POST, answered as parsed JSON (set-up only, not measured). */
export async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams(params),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body as Record<string, string>;
}

/** A fresh client-credentials access token from either server (introspection needs a live one). */
export const clientCredentialsToken = async (tokenUrl: string, authorization: string) =>
  (await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'grant_management' }, { authorization }))
    .access_token!;

/**
 * RFC 7523 client assertions, signed synchronously with node:crypto (ES256, raw r||s) so that autocannon
 * can make one per request: each is single-use (RFC 7521 §5.2), so none can be prepared once and replayed.
 */
export function assertionSigner(company: RegisteredCompany, issuer: string) {
  const key = KeyObject.from(company.privateKey!);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: company.kid, typ: 'JWT' })).toString('base64url');
  return () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: company.clientId,
      sub: company.clientId,
      aud: issuer,
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
    };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${input}.${sig}`;
  };
}

/** The body of a private_key_jwt request: the given parameters plus a fresh assertion. */
export const withAssertion = (params: Record<string, string>, assertion: string) =>
  new URLSearchParams({
    ...params,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  }).toString();

export interface ChainLoad {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/**
 * The refresh grant with rotation, driven by its own loop: each chain sends the refresh token the previous
 * answer returned (a fixed body would be a reuse, which revokes the family). The chains run in parallel,
 * one keep-alive connection each; a chain whose answer is lost is dropped, never replayed. Each chain
 * writes its request on a raw socket and reads the answer by its content-length, as autocannon does for
 * the peer: node's http client cost about twice autocannon's CPU per request in this same process
 * (`client` in the bench's output), CPU the server it measures shares on this machine.
 */
export async function refreshChains(
  tokenUrl: string,
  authorization: string,
  chains: string[],
  seconds: number,
): Promise<ChainLoad> {
  const latenciesMs: number[] = [];
  const url = new URL(tokenUrl);
  const head =
    `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: ${FORM}\r\n` +
    `authorization: ${authorization}\r\nconnection: keep-alive\r\ncontent-length: `;
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const sockets: Socket[] = [];
  const chain = (i: number) =>
    new Promise<void>((finish) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      sockets.push(socket);
      let t0 = 0n;
      let buffered: Buffer = Buffer.alloc(0);
      const send = () => {
        if (Date.now() >= end || !chains[i]) return stop();
        const body = `grant_type=refresh_token&refresh_token=${encodeURIComponent(chains[i]!)}`;
        t0 = process.hrtime.bigint();
        socket.write(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
      };
      const stop = () => {
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.end();
        finish();
      };
      const fail = () => {
        errors++;
        chains[i] = '';
        stop();
      };
      socket.setNoDelay(true);
      socket.once('connect', send);
      socket.on('error', fail);
      socket.on('close', () => (t0 ? fail() : stop()));
      socket.on('data', (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const headers = buffered.toString('latin1', 0, headEnd);
        const length = /\r\ncontent-length: *(\d+)/i.exec(headers);
        if (!length) return fail();
        const total = headEnd + 4 + Number(length[1]);
        if (buffered.length < total) return;
        const text = buffered.toString('utf8', headEnd + 4, total);
        buffered = buffered.subarray(total);
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        t0 = 0n;
        done++;
        if (!headers.startsWith('HTTP/1.1 200 ')) {
          non2xx++;
          chains[i] = '';
        } else chains[i] = JSON.parse(text).refresh_token;
        send();
      });
    });
  await Promise.all(chains.map((_, i) => chain(i)));
  for (const s of sockets) s.destroy();
  latenciesMs.sort((a, b) => a - b);
  const at = (q: number) =>
    +(latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))] ?? 0).toFixed(1);
  return { reqPerSec: Math.round(done / seconds), p50Ms: at(0.5), p99Ms: at(0.99), requests: done, non2xx, errors };
}

/** The vault's side: a private_key_jwt company beside the bench's client_secret_basic one, and refresh chains. */
export async function vaultTokenSetup(
  v: RunningVault,
  company: RegisteredCompany,
  customer: Customer,
  chainCount: number,
) {
  const pkjwt = await registerCompany(v, { method: 'private_key_jwt' });
  const chains: string[] = [];
  for (let i = 0; i < chainCount; i++)
    chains.push((await obtainTokens(v, company, customer, { fields: ['email'] })).refresh_token);
  return {
    tokenUrl: `${v.url}/token`,
    introspectUrl: `${v.url}/introspect`,
    basic: company.basic(),
    assertion: assertionSigner(pkjwt, v.url),
    chains,
  };
}
