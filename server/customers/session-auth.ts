import { parse as parseCookies } from 'cookie';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { CsrfRejected, Forbidden, Unauthenticated, UnsupportedMediaType } from '../http/errors.ts';
import type { Accounts, Session, SubjectKind } from './accounts.ts';

/**
 * Cookie sessions for the dashboard. The cookie is HttpOnly and SameSite=Lax (Lax so that a customer
 * arriving from a company's site at /authorize is still signed in), Secure and __Host- prefixed behind
 * HTTPS. Every cookie-authenticated write must also carry the session's CSRF token in `x-csrf-token`
 * (synchronizer token pattern) and, when the browser sends one, a same-origin `Origin`.
 */
declare module 'express-serve-static-core' {
  interface Request {
    session?: Session;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-vault_session' : 'vault_session';
}

export function createSessionAuth(accounts: Accounts, opts: { secure: boolean; publicUrl: string }) {
  const name = sessionCookieName(opts.secure);
  const origin = new URL(opts.publicUrl).origin;

  /** The browser named an Origin other than ours (a missing Origin is a non-browser client). */
  const foreignOrigin = (req: Request) => !!req.headers.origin && req.headers.origin !== origin;

  const load: RequestHandler = async (req, _res, next) => {
    const header = req.headers.cookie;
    const token = header ? parseCookies(header)[name] : undefined;
    req.session = await accounts.sessionFromToken(token);
    next();
  };

  function require(kind?: SubjectKind): RequestHandler {
    return (req, _res, next) => {
      const s = req.session;
      if (!s) return next(new Unauthenticated('Sign in first'));
      if (kind && s.kind !== kind) return next(new Forbidden(`This API is for ${kind}s only`));
      if (!SAFE.has(req.method)) {
        if (foreignOrigin(req)) return next(new CsrfRejected('Cross-origin request refused'));
        if (!accounts.checkCsrf(s, req.get('x-csrf-token')))
          return next(new CsrfRejected('Missing or wrong x-csrf-token header'));
      }
      next();
    };
  }

  /**
   * Sign-up and sign-in have no session yet, so no CSRF token: they accept only JSON (a cross-site form
   * cannot send it without a CORS preflight, which the vault never grants) and refuse a foreign Origin.
   * Otherwise a hostile page could sign a visitor into the attacker's account (login CSRF).
   */
  const sessionless: RequestHandler = (req, _res, next) => {
    if (foreignOrigin(req)) return next(new CsrfRejected('Cross-origin request refused'));
    if (!req.is('application/json')) return next(new UnsupportedMediaType('Send the credentials as application/json'));
    next();
  };

  return {
    load,
    sessionless,
    /** A router that loads the session (if any) for every request. */
    loadRouter: () => Router().use(load),
    requireCustomer: require('customer'),
    requireAuditor: require('auditor'),
    requireSignedIn: require(),
    setCookie(res: Response, token: string) {
      res.cookie(name, token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: opts.secure,
        path: '/',
        maxAge: 12 * 3600_000,
      });
    },
    clearCookie(res: Response) {
      res.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/' });
    },
    session(req: Request): Session {
      if (!req.session) throw new Unauthenticated('Sign in first');
      return req.session;
    },
  };
}

export type SessionAuth = ReturnType<typeof createSessionAuth>;
