import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Companies } from '../../server/companies/service.ts';
import { createAppShell } from '../../server/http/app.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CompaniesHarness {
  v: RunningVault;
  /** Where the test-only /test/token lives (everything else is at v.url). */
  url: string;
  companies: Companies;
  call<T = any>(
    method: string,
    path: string,
    opts?: { body?: unknown; bearer?: string; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  /** A fresh initial access token from the service, as the operator CLI would issue. */
  initialToken(): Promise<string>;
  register(metadata: unknown, token?: string): Promise<Reply>;
  close(): Promise<void>;
}

/**
 * Starts the real vault; /register is served by it. A second app shell on its own port, built from
 * the same context and the same companies service, adds a test-only POST /test/token that answers
 * with the authenticated client, so that a standard client (oauth4webapi) exercises client
 * authentication over HTTP without depending on what the token endpoint does next.
 */
export async function startCompanies(opts: { dataDir?: string } = {}): Promise<CompaniesHarness> {
  const v = await startVault(opts);
  const companies = v.vault.services.companies;

  const probe = Router();
  probe.post('/test/token', async (req, res) => {
    const c = await companies.authenticateClient({
      authorization: req.headers.authorization,
      body: req.body ?? {},
      endpoint: '/token',
    });
    res.json({ client_id: c.id });
  });
  const shell = createAppShell(v.ctx, [probe], '/nonexistent');
  const server: Server = createServer(shell.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function call<T>(
    method: string,
    path: string,
    opts: { body?: unknown; bearer?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.bearer !== undefined) headers.authorization = `Bearer ${opts.bearer}`;
    if (opts.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const base = path.startsWith('/test/') ? url : v.url;
    const res = await fetch(base + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: body as T };
  }

  const initialToken = async () => (await companies.issueInitialAccessToken('test')).token;
  return {
    v,
    url,
    companies,
    call,
    initialToken,
    register: async (metadata, token) =>
      call('POST', '/register', { body: metadata, bearer: token ?? (await initialToken()) }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await v.close();
    },
  };
}

export const sampleTerms = {
  purposes: ['order-fulfilment'],
  retentionDays: 90,
  sharesOnward: false,
  onwardSharingDisclosed: false,
  benefit: { kind: 'discount', description: '10% off' },
  valueTags: ['no-resale'],
  contact: 'privacy@acme.example',
};

// Each company needs a name of its own (no look-alikes of another company's): digits keep them apart.
let named = 0;

export function basicMetadata(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: `Acme Shop ${++named}`,
    redirect_uris: ['https://acme.example/cb'],
    token_endpoint_auth_method: 'client_secret_basic',
    terms: sampleTerms,
    ...extra,
  };
}

export interface ClientKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  alg: string;
}

/** A signing key pair; the public JWK carries a kid and alg as a company would publish it. */
export async function clientKey(
  alg: 'EdDSA' | 'ES256' | 'RS256' = 'EdDSA',
  kid = `k-${alg}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, alg };
}

export function jwtMetadata(keys: ClientKey[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return basicMetadata({
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: keys.map((k) => k.publicJwk) },
    ...extra,
  });
}

export const basicAuth = (id: string, secret: string) =>
  'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
