import { Router, type Request } from 'express';
import { sourcesSchema, windowSchema } from './record-access.ts';
import { z } from 'zod';
import { Forbidden, OAuthError } from '../http/errors.ts';
import { limiter } from '../http/rate-limit.ts';
import { parse } from '../http/validate.ts';
import type { SessionAuth } from '../customers/session-auth.ts';
import type { Authorization } from './authorize.ts';
import { formParams, NO_STORE, type TokenRequests } from './token-requests.ts';
import { authorizationServerMetadata, dataResourceMetadata, PROTECTED_RESOURCE_PATH } from './metadata.ts';
import type { ClientView } from './request-params.ts';
import type { AuthRequestRow, OAuthStore } from './store.ts';
import type { TokenEndpoint } from './token.ts';
import type { DeviceFlow } from './device/service.ts';
import type { AppContext } from '../context.ts';
import type { ConsentViews } from './consent-view.ts';
import { actionSchema } from '../policy/types.ts';
import { claimNameSchema } from '../claims/catalogue.ts';
import { REQUEST_LIMITS } from './request-limits.ts';
import type { RateStores } from '../http/rate-store.ts';

export interface ClientAuthenticator {
  authenticateClient(input: {
    authorization?: string;
    body: Record<string, unknown>;
    endpoint: string;
  }): Promise<ClientView>;
  /** The shared replay cache of one-time JWT ids (owned by companies/). */
  claimJti(jti: string, expiresAt: string): Promise<boolean>;
}

export const consentSchema = z.discriminatedUnion('decision', [
  z.strictObject({
    decision: z.literal('approve'),
    termsVersion: z
      .number()
      .int()
      .min(1)
      .meta({ description: "The company's terms version the consent screen showed (company.terms.version)" }),
    // Empty when the customer keeps only claims; the service checks that something remains.
    fields: z.array(z.string().max(64)).max(50).optional(),
    claims: z
      .array(claimNameSchema)
      .max(20)
      .optional()
      .meta({ description: 'The claims the customer keeps, by name (default: every claim asked for)' }),
    durationDays: z.number().int().min(1).max(3650).optional(),
    actions: z.array(actionSchema).min(1).max(2).optional(),
    records: z.strictObject({ window: windowSchema.optional(), sources: sourcesSchema.optional() }).optional(),
  }),
  z.strictObject({ decision: z.literal('deny') }),
]);

/** The endpoints an OAuth client calls directly: their errors are application/json with `error` (the app shell sets it). */
export const OAUTH_CLIENT_ENDPOINTS = [
  '/par',
  '/bc-authorize',
  '/device_authorization',
  '/token',
  '/introspect',
  '/revoke',
  '/register',
];

export interface BackchannelDeps {
  customerIdOfHandle(handle: string): Promise<string | undefined>;
  notify(customerId: string, row: AuthRequestRow): void | Promise<void>;
}

export function oauthRoutes(
  ctx: AppContext,
  d: {
    authz: Authorization;
    token: TokenEndpoint;
    clients: ClientAuthenticator;
    store: OAuthStore;
    auth: SessionAuth;
    views: ConsentViews;
    backchannel: BackchannelDeps;
    device: Pick<DeviceFlow, 'authorize'>;
    /** /token and /introspect after their form is read (shared with the token fast path). */
    requests: TokenRequests;
    /** Rate-limit stores shared by every server (AppContext.shared); in memory when absent. */
    rates?: RateStores;
  },
): Router {
  const r = Router();
  const issuer = ctx.config.publicUrl;
  const metadata = authorizationServerMetadata(issuer);

  const form = (req: Request): Record<string, unknown> => {
    if (!req.is('application/x-www-form-urlencoded'))
      throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    return formParams(req.body);
  };
  const client = (req: Request, endpoint: string, body: Record<string, unknown>) =>
    d.clients.authenticateClient({ authorization: req.get('authorization'), body, endpoint: `${issuer}${endpoint}` });
  const tokenRequests = d.requests;
  const headersOf = (req: Request) => ({ authorization: req.get('authorization'), dpop: req.get('dpop') });
  const noStore = NO_STORE;

  r.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.json(metadata);
  });
  // RFC 9728 §3: at the path its resource identifier derives (…/data), and at the bare well-known path.
  const resourceMetadata = dataResourceMetadata(issuer, ctx.policies.purposes.keys());
  r.get([PROTECTED_RESOURCE_PATH, `${PROTECTED_RESOURCE_PATH}/data`], (_req, res) => {
    res.json(resourceMetadata);
  });
  r.get('/jwks.json', (_req, res) => {
    res.type('application/jwk-set+json').send(JSON.stringify(ctx.signing.jwks()));
  });

  r.post('/par', async (req, res) => {
    const body = form(req);
    const c = await client(req, '/par', body);
    res
      .status(201)
      .set(noStore)
      .json(await d.authz.push(c, body));
  });

  r.post('/bc-authorize', async (req, res) => {
    const body = form(req);
    const c = await client(req, '/bc-authorize', body);
    res
      .status(200)
      .set(noStore)
      .json(await d.authz.backchannel(c, body, d.backchannel.customerIdOfHandle, d.backchannel.notify, String(req.id)));
  });

  // RFC 8628 §3.1: a connected product asks; the answer is not cached (§3.2).
  r.post('/device_authorization', async (req, res) => {
    const body = form(req);
    const c = await client(req, '/device_authorization', body);
    res
      .status(200)
      .set(noStore)
      .json(await d.device.authorize(c, body));
  });

  r.get('/api/requests', d.auth.requireCustomer, async (req, res) => {
    res.json({ requests: await d.views.pendingRequests(d.auth.session(req).subjectId) });
  });

  // Only an anonymous request without PAR stores a row before anyone is known: it alone is counted per address.
  const anonymousPerIp = limiter(
    {
      windowMs: REQUEST_LIMITS.anonymousAuthorizePerIp.windowSeconds * 1000,
      limit: REQUEST_LIMITS.anonymousAuthorizePerIp.limit,
      skip: (req) => req.session !== undefined || req.query.request_uri !== undefined,
      what: 'authorization requests from this address',
    },
    d.rates,
  );
  r.get('/authorize', anonymousPerIp, async (req, res) => {
    // A person's browser comes here from the company: if the link does not work, the error page links back.
    res.locals.returnTo = await d.authz.returnLinkFor(req.query as Record<string, unknown>);
    const s = req.session;
    if (s && s.kind !== 'customer') throw new Forbidden('Auditors cannot grant access; sign in as a customer');
    const out = await d.authz.authorize(req.query as Record<string, unknown>, s?.subjectId, String(req.id));
    res.redirect(303, out.redirect);
  });

  // The token fast path (server/oauth/fast-path.ts) answers most of these before express; the rest come here.
  r.post('/token', async (req, res) => {
    const body = form(req);
    const out = await tokenRequests.token(headersOf(req), body);
    res.set(noStore).json(out);
  });

  r.post('/introspect', async (req, res) => {
    const body = form(req);
    const out = await tokenRequests.introspect(headersOf(req), body);
    res.set(noStore).json(out);
  });

  r.post('/revoke', async (req, res) => {
    const body = form(req);
    const c = await client(req, '/revoke', body);
    if (typeof body.token !== 'string') throw new OAuthError(400, 'invalid_request', 'token is required');
    await d.token.revoke(c, body.token);
    res.status(200).set(noStore).end();
  });

  r.get('/api/consent/:id', d.auth.requireCustomer, async (req, res) => {
    res.json(await d.views.consentView(d.auth.session(req).subjectId, String(req.params.id)));
  });

  r.post('/api/consent/:id', d.auth.requireCustomer, async (req, res) => {
    const input = parse(consentSchema, req.body);
    res.json(await d.authz.decide(d.auth.session(req).subjectId, String(req.params.id), input, String(req.id)));
  });

  return r;
}
