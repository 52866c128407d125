import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { RunningVault } from './vault.ts';
import type { Customer } from './browser-like.ts';

export const REDIRECT = 'http://127.0.0.1:9/cb';

export const defaultTerms = {
  purposes: ['order-fulfilment', 'customer-support', 'marketing'],
  retentionDays: 90,
  sharesOnward: false,
  onwardSharingDisclosed: false,
  benefit: { kind: 'discount', description: '10% off every order' },
  valueTags: ['no-resale', 'eu-hosting'],
  contact: 'privacy@shop.example',
};

export interface RegisteredCompany {
  clientId: string;
  clientSecret?: string;
  privateKey?: CryptoKey;
  kid?: string;
  registrationAccessToken: string;
  basic(): string;
}

// Each company needs a name of its own (no look-alikes of another company's): digits keep them apart.
let registered = 0;

/** Registers a company through the real /register endpoint with a fresh initial access token. */
export async function registerCompany(
  v: RunningVault,
  opts: {
    method?: 'client_secret_basic' | 'private_key_jwt';
    name?: string;
    terms?: object;
    dpop?: boolean;
    eventEndpoint?: string;
    /** A device client (RFC 8628) for this product. */
    product?: string;
  } = {},
): Promise<RegisteredCompany> {
  const iat = await v.vault.services.companies.issueInitialAccessToken('test');
  const method = opts.method ?? 'client_secret_basic';
  let privateKey: CryptoKey | undefined;
  let jwks: { keys: JWK[] } | undefined;
  const kid = `k-${randomBytes(4).toString('hex')}`;
  if (method === 'private_key_jwt') {
    const kp = await generateKeyPair('ES256', { extractable: true });
    privateKey = kp.privateKey;
    jwks = { keys: [{ ...(await exportJWK(kp.publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  }
  const res = await fetch(`${v.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
    body: JSON.stringify({
      client_name: opts.name ?? `Shop Example ${++registered}`,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: method,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      ...(opts.product
        ? {
            grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
            product_name: opts.product,
          }
        : {}),
      ...(jwks ? { jwks } : {}),
      ...(opts.dpop ? { dpop_bound_access_tokens: true } : {}),
      ...(opts.eventEndpoint ? { event_delivery_endpoint: opts.eventEndpoint } : {}),
      terms: opts.terms ?? defaultTerms,
    }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(body)}`);
  return {
    clientId: body.client_id,
    clientSecret: body.client_secret,
    privateKey,
    kid,
    registrationAccessToken: body.registration_access_token,
    basic() {
      return (
        'Basic ' +
        Buffer.from(`${encodeURIComponent(body.client_id)}:${encodeURIComponent(body.client_secret)}`).toString(
          'base64',
        )
      );
    },
  };
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const details = (
  fields: string[],
  purpose = 'order-fulfilment',
  duration = 'P30D',
  actions = ['read'],
  records?: object,
) =>
  JSON.stringify([
    { type: 'customer_data', purpose, fields, actions, duration },
    ...(records ? [{ type: 'customer_records', ...records }] : []),
  ]);

export async function form(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
    redirect: 'manual',
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * Drives PAR -> authorize -> consent for a client_secret_basic company and returns the code, as the
 * company and the customer's browser would. Options narrow the approval.
 */
export async function obtainCode(
  v: RunningVault,
  company: RegisteredCompany,
  customer: Customer,
  opts: {
    fields?: string[];
    purpose?: string;
    duration?: string;
    actions?: string[];
    approve?: { fields?: string[]; claims?: string[]; durationDays?: number; actions?: string[]; records?: object };
    state?: string;
    /** A customer_records authorization_details entry (without its type), issue 15. */
    records?: object;
    /** The request as given (authorization_details JSON, or a scope string) instead of fields/purpose. */
    authorizationDetails?: string;
    scope?: string;
  } = {},
) {
  const p = pkce();
  const state = opts.state ?? randomBytes(8).toString('hex');
  const par = await form(
    `${v.url}/par`,
    {
      response_type: 'code',
      client_id: company.clientId,
      redirect_uri: REDIRECT,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      state,
      ...(opts.scope
        ? { scope: opts.scope }
        : {
            authorization_details:
              opts.authorizationDetails ??
              details(opts.fields ?? ['email', 'phone'], opts.purpose, opts.duration, opts.actions, opts.records),
          }),
    },
    { authorization: company.basic() },
  );
  if (par.status !== 201) throw new Error(`PAR failed: ${par.status} ${JSON.stringify(par.body)}`);
  const auth = await customer.call(
    'GET',
    `/authorize?client_id=${encodeURIComponent(company.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
  );
  let location = auth.headers.get('location') ?? '';
  if (location.startsWith('/consent')) {
    const id = new URL(location, v.url).searchParams.get('request')!;
    // The approval names the terms version the consent screen showed, as the dashboard does.
    const shown = await customer.call('GET', `/api/consent/${id}`);
    const termsVersion = shown.body.company?.terms?.version;
    const r = await customer.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion, ...opts.approve });
    if (r.status !== 200) throw new Error(`consent failed: ${r.status} ${JSON.stringify(r.body)}`);
    location = r.body.redirectTo;
  }
  if (!location.startsWith('http'))
    throw new Error(`expected a redirect to the client, got ${auth.status} ${location}`);
  const u = new URL(location);
  return {
    code: u.searchParams.get('code'),
    error: u.searchParams.get('error'),
    errorDescription: u.searchParams.get('error_description'),
    state: u.searchParams.get('state'),
    verifier: p.verifier,
    location,
  };
}

/** Full flow to tokens. */
export async function obtainTokens(
  v: RunningVault,
  company: RegisteredCompany,
  customer: Customer,
  opts: Parameters<typeof obtainCode>[3] = {},
) {
  const c = await obtainCode(v, company, customer, opts);
  if (!c.code) throw new Error(`no code: ${c.location}`);
  const t = await form(
    `${v.url}/token`,
    { grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier },
    { authorization: company.basic() },
  );
  if (t.status !== 200) throw new Error(`token failed: ${t.status} ${JSON.stringify(t.body)}`);
  return { ...t.body, code: c.code, verifier: c.verifier } as {
    access_token: string;
    refresh_token: string;
    grant_id: string;
    token_type: string;
    scope: string;
    code: string;
    verifier: string;
  };
}

export async function readData(
  v: RunningVault,
  accessToken: string,
  handle: string,
  fields?: string[],
  headers: Record<string, string> = {},
) {
  const q = fields ? `?fields=${fields.join(',')}` : '';
  const res = await fetch(`${v.url}/data/customers/${handle}${q}`, {
    headers: { authorization: `Bearer ${accessToken}`, ...headers },
  });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => undefined) };
}

/** The company publishes new terms (RFC 7592 update of its registration); returns the new terms version. */
export async function updateTerms(v: RunningVault, company: RegisteredCompany, name: string, terms: object) {
  const res = await fetch(`${v.url}/register/${company.clientId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${company.registrationAccessToken}` },
    body: JSON.stringify({
      client_id: company.clientId,
      client_name: name,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      terms,
    }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`terms update failed: ${res.status} ${JSON.stringify(body)}`);
  return body.terms_version as number;
}
