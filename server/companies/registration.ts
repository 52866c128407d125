import { randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditAppend } from '../audit/chain/append.ts';
import { OAuthError, TooManyRequests } from '../http/errors.ts';
import { parseJwks, parseTerms } from './company-record.ts';
import { grantTypesOf } from '../oauth/grants/grant-types.ts';
import { metadataError, parseClientMetadata } from './metadata.ts';
import { skeleton } from './names.ts';
import { matchesDigest, newSecret, sha256Hex } from './secrets.ts';
import type { CompanyRow, CompanyStore, RecentChanges } from './store.ts';
import type { ClientMetadata, CompaniesDeps, CompanyHooks, RegistrationResponse } from './types.ts';

/** How many new terms versions, and how many new names, a company may take in any 24 hours. */
export const MAX_CHANGES_PER_DAY = 10;
const DAY_MS = 86_400_000;

const MAX_TOKEN_LENGTH = 200;

const badInitialToken = () =>
  new OAuthError(
    401,
    'invalid_token',
    'A valid, unused initial access token is required to register (RFC 7591 §3)',
    'Bearer',
  );
// RFC 7592 §2.1: an unknown client and a wrong registration token get the same 401, so neither leaks.
const badRegistrationToken = () =>
  new OAuthError(401, 'invalid_token', 'The registration access token is not valid for this client', 'Bearer');

// RFC 7592 §2.2: members the client must not send back in an update.
const SERVER_MEMBERS = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
];

export function createRegistration(deps: CompaniesDeps, store: CompanyStore, audit: AuditAppend, hooks: CompanyHooks) {
  const nowIso = () => deps.clock.now().toISOString();
  const dayAgo = () => new Date(deps.clock.now().getTime() - DAY_MS).toISOString();

  /**
   * Terms versions and names are kept for ever, a worse version tells every customer with a live grant, and a
   * name once held is closed to every other company: a company takes at most MAX_CHANGES_PER_DAY of each in any
   * 24 hours (SECURITY.md "Floods and bounds"). Over it, a 429 until the oldest change leaves the window.
   */
  function withinChangeLimit(recent: RecentChanges, what: string): void {
    if (recent.n < MAX_CHANGES_PER_DAY || !recent.first) return;
    const retryAfter = Math.ceil((Date.parse(recent.first) + DAY_MS - deps.clock.now().getTime()) / 1000);
    throw new TooManyRequests(
      `At most ${MAX_CHANGES_PER_DAY} new ${what} in 24 hours; try again later`,
      Math.max(1, retryAfter),
    );
  }
  const clientUri = (id: string) => `${deps.config.publicUrl}/register/${encodeURIComponent(id)}`;

  /** RFC 7591 §3.2.1 / RFC 7592 §3: everything registered, plus what this response alone reveals. */
  async function response(
    row: CompanyRow,
    registrationAccessToken: string,
    clientSecret?: string,
  ): Promise<RegistrationResponse> {
    const terms = (await store.termsAt(row.id, row.termsVersion))!;
    const jwks = parseJwks(row.jwks);
    return {
      client_id: row.id,
      ...(clientSecret ? { client_secret: clientSecret } : {}),
      client_id_issued_at: Math.floor(Date.parse(row.createdAt) / 1000),
      ...(row.authMethod === 'client_secret_basic' ? { client_secret_expires_at: 0 as const } : {}),
      registration_access_token: registrationAccessToken,
      registration_client_uri: clientUri(row.id),
      client_name: row.name,
      ...(row.productName ? { product_name: row.productName } : {}),
      redirect_uris: JSON.parse(row.redirectUris) as string[],
      token_endpoint_auth_method: row.authMethod,
      grant_types: grantTypesOf(row.productName),
      response_types: ['code'],
      ...(jwks ? { jwks } : {}),
      dpop_bound_access_tokens: row.dpopBound,
      ...(row.eventDeliveryEndpoint ? { event_delivery_endpoint: row.eventDeliveryEndpoint } : {}),
      terms: parseTerms(terms.terms),
      terms_version: row.termsVersion,
    };
  }

  async function initialTokenHash(token: string | undefined): Promise<string> {
    if (!token || token.length > MAX_TOKEN_LENGTH) throw badInitialToken();
    const hash = sha256Hex(token);
    const row = await store.initialToken(hash);
    if (!row || row.usedAt !== null || row.expiresAt <= nowIso()) throw badInitialToken();
    return hash;
  }

  /** The row the registration access token manages; 401 for any mismatch (RFC 7592 §2). */
  async function managed(clientId: string, token: string | undefined): Promise<CompanyRow> {
    const row = clientId.length <= MAX_TOKEN_LENGTH ? await store.companyById(clientId) : undefined;
    const ok = matchesDigest(token ?? '', row?.registrationTokenHash);
    // A disabled company no longer exists as a client (RFC 7592 §2.1: unknown client → 401).
    if (!ok || !token || !row || row.status !== 'active') throw badRegistrationToken();
    return row;
  }

  /** RFC 7592 §2.2 rules for the body of an update, checked before the metadata itself. */
  function checkUpdateBody(row: CompanyRow, input: unknown): void {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return; // parseClientMetadata says why
    const body = input as Record<string, unknown>;
    const issues: { path: string; message: string }[] = [];
    if (body.client_id !== row.id)
      issues.push({ path: 'client_id', message: 'must be present and equal to the client id being updated' });
    for (const m of SERVER_MEMBERS)
      if (m in body) issues.push({ path: m, message: 'is set by the server and must not be sent in an update' });
    if (
      body.client_secret !== undefined &&
      (typeof body.client_secret !== 'string' || !matchesDigest(body.client_secret, row.secretHash))
    )
      issues.push({ path: 'client_secret', message: 'must match the currently issued secret when included' });
    if (issues.length) throw metadataError(issues);
  }

  /**
   * A name may not look like one that another company has, or ever had (names.ts): checked inside the
   * transaction that takes the name, so two registrations cannot race to look-alike names.
   */
  async function checkNameIsOwn(companyId: string, name: string): Promise<void> {
    const mine = skeleton(name);
    if ((await store.namesOfOthers(companyId)).some((other) => skeleton(other) === mine))
      throw metadataError([{ path: 'client_name', message: 'looks like the name of another registered company' }]);
  }

  return {
    /** RFC 7591 §3: registers a company with a single-use initial access token issued by the operator. */
    async register(initialAccessToken: string | undefined, input: unknown): Promise<RegistrationResponse> {
      const tokenHash = await initialTokenHash(initialAccessToken);
      const m = await parseClientMetadata(input);
      const id = randomUUID();
      const secret = m.token_endpoint_auth_method === 'client_secret_basic' ? newSecret() : undefined;
      const registrationToken = newSecret();
      const createdAt = nowIso();
      const row: CompanyRow = {
        id,
        name: m.client_name,
        status: 'active',
        authMethod: m.token_endpoint_auth_method,
        secretHash: secret ? sha256Hex(secret) : null,
        jwks: m.jwks ? JSON.stringify(m.jwks) : null,
        redirectUris: JSON.stringify(m.redirect_uris),
        dpopBound: m.dpop_bound_access_tokens,
        eventDeliveryEndpoint: m.event_delivery_endpoint ?? null,
        termsVersion: 1,
        registrationTokenHash: sha256Hex(registrationToken),
        createdAt,
        productName: m.product_name ?? null,
      };
      await deps.backend.inTransaction(async () => {
        // Consumed in the same transaction as the insert: two racing registrations cannot both use it.
        if ((await store.consumeInitialToken(tokenHash, createdAt)) !== 1) throw badInitialToken();
        await checkNameIsOwn(id, row.name);
        await store.insertCompany(row);
        await store.insertName(id, row.name, createdAt);
        await store.insertTerms({ companyId: id, version: 1, terms: JSON.stringify(m.terms), createdAt });
        await audit({
          action: 'company.registered',
          actor: { kind: 'company', id },
          companyId: id,
          detail: { authMethod: row.authMethod, termsVersion: 1, dpopBound: row.dpopBound },
        });
      });
      return response(row, registrationToken, secret);
    },

    /** RFC 7592 §2.1: the current registration, read with the registration access token. */
    async read(clientId: string, registrationAccessToken: string | undefined): Promise<RegistrationResponse> {
      return response(await managed(clientId, registrationAccessToken), registrationAccessToken!);
    },

    /**
     * RFC 7592 §2.2: replaces the registration. Changed terms become a new version, audited, and the
     * onTermsChanged hooks run in the same transaction (ARCHITECTURE.md, "Where policy decisions happen").
     */
    async update(
      clientId: string,
      registrationAccessToken: string | undefined,
      input: unknown,
    ): Promise<RegistrationResponse> {
      const before = await managed(clientId, registrationAccessToken);
      checkUpdateBody(before, input);
      const m: ClientMetadata = await parseClientMetadata(input);
      const { after, secret } = await deps.backend.inTransaction(async () => {
        const row = await managed(clientId, registrationAccessToken); // re-read: it may have changed during the await
        // A client moving to client_secret_basic gets a new secret, shown in this response only.
        const secret =
          m.token_endpoint_auth_method === 'client_secret_basic' && row.authMethod !== 'client_secret_basic'
            ? newSecret()
            : undefined;
        const current = (await store.termsAt(row.id, row.termsVersion))!;
        const termsChanged = canonicalize(parseTerms(current.terms)) !== canonicalize(m.terms);
        const termsVersion = termsChanged ? row.termsVersion + 1 : row.termsVersion;
        const set = {
          name: m.client_name,
          authMethod: m.token_endpoint_auth_method,
          secretHash:
            m.token_endpoint_auth_method === 'private_key_jwt' ? null : secret ? sha256Hex(secret) : row.secretHash,
          jwks: m.jwks ? JSON.stringify(m.jwks) : null,
          redirectUris: JSON.stringify(m.redirect_uris),
          dpopBound: m.dpop_bound_access_tokens,
          eventDeliveryEndpoint: m.event_delivery_endpoint ?? null,
          termsVersion,
          productName: m.product_name ?? null,
        };
        if (termsChanged) withinChangeLimit(await store.termsSince(row.id, dayAgo()), 'terms versions');
        if (m.client_name !== row.name) withinChangeLimit(await store.namesSince(row.id, dayAgo()), 'names');
        await store.updateCompany(row.id, set);
        if (m.client_name !== row.name) {
          // A rename is audited as a kind of event with its version number only: the trail carries no
          // company-typed text; the names themselves are in company_names (SECURITY.md, "Company names").
          await checkNameIsOwn(row.id, m.client_name);
          const nameVersion = await store.insertName(row.id, m.client_name, nowIso());
          await audit({
            action: 'company.renamed',
            actor: { kind: 'company', id: row.id },
            companyId: row.id,
            detail: { nameVersion },
          });
        }
        if (termsChanged) {
          await store.insertTerms({
            companyId: row.id,
            version: termsVersion,
            terms: JSON.stringify(m.terms),
            createdAt: nowIso(),
          });
          await audit({
            action: 'company.terms-changed',
            actor: { kind: 'company', id: row.id },
            companyId: row.id,
            detail: { termsVersion, previousTermsVersion: row.termsVersion },
          });
          for (const hook of hooks.onTermsChanged) await hook(row.id, termsVersion);
        }
        return { after: { ...row, ...set }, secret };
      });
      return response(after, registrationAccessToken!, secret);
    },

    /** Checks the registration access token; the service disables the company (RFC 7592 §2.3). */
    managed,
  };
}

export type Registration = ReturnType<typeof createRegistration>;
