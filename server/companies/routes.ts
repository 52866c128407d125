import { Router, type Request, type Response } from 'express';
import { limiter } from '../http/rate-limit.ts';
import type { RateStores } from '../http/rate-store.ts';
import type { Companies } from './service.ts';

/** RFC 6750 §2.1: `Authorization: Bearer <token>`; anything else counts as no token. */
function bearer(req: Request): string | undefined {
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** Responses carrying a secret or a registration token must not be cached (RFC 6749 §5.1 by analogy). */
function noStore(res: Response): Response {
  return res.set({ 'cache-control': 'no-store', pragma: 'no-cache' });
}

/**
 * RFC 7591 registration at /register and RFC 7592 management at /register/:clientId.
 * Failed attempts are limited per address; successful ones do not count.
 */
export function companyRoutes(companies: Companies, rates?: RateStores): Router {
  const r = Router();
  r.use(
    '/register',
    limiter(
      { windowMs: 15 * 60_000, limit: 100, skipSuccessfulRequests: true, what: 'failed registration requests' },
      rates,
    ),
  );

  r.post('/register', async (req, res) => {
    const out = await companies.register(bearer(req), req.body);
    noStore(res).status(201).location(out.registration_client_uri).json(out);
  });

  r.get('/register/:clientId', async (req, res) => {
    noStore(res).json(await companies.read(req.params.clientId, bearer(req)));
  });

  r.put('/register/:clientId', async (req, res) => {
    noStore(res).json(await companies.update(req.params.clientId, bearer(req), req.body));
  });

  r.delete('/register/:clientId', async (req, res) => {
    await companies.deregister(req.params.clientId, bearer(req));
    noStore(res).status(204).end();
  });

  return r;
}
