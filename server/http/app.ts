import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import express, { type Express, type Router } from 'express';
import type { AppContext } from '../context.ts';
import { createErrorPage } from './error-page.ts';
import { BadRequest, UnsupportedMediaType } from './errors.ts';
import { FORM_LIMIT_BYTES, FORM_PARAMETER_LIMIT, formReader, type FormReader } from './form-body.ts';
import { notFoundHandler, problemHandler } from './problem.ts';
import { requestLog } from './request-log.ts';
import { securityHeaders } from './security-headers.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './validate.ts';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BODY_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded'];

/** The dashboard's client-side routes: each serves the app shell (documented in server/http/openapi/service.ts). */
export const DASHBOARD_PAGES = [
  '/consent',
  '/connect',
  '/grants',
  '/reads',
  '/inbox',
  '/settings',
  '/auditor',
  '/signin',
  '/export',
  '/records',
];

/** What every response gets before its route runs: security headers, request id, log line. */
export interface Front {
  (req: IncomingMessage, res: ServerResponse, next: () => void): void;
  /** The security headers as writeHead's raw list (name, value, …), for a fast path that writes its headers at once. */
  readonly headers: readonly string[];
  /** The request id and log line alone; such a fast path sends `x-request-id` (req.id) with its headers. */
  track(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * A fast path's JSON success as writeHead's raw list: the front's security headers, the answer's own (`own`), its
 * media type, request id and length; node validates and writes a raw list in one pass, without setHeader's
 * per-header map. The list is built once; each answer fills in its id and length on a copy.
 */
export function fastSuccessHeaders(front: Front, own: Readonly<Record<string, string>>) {
  const list = [
    ...front.headers,
    ...Object.entries(own).flat(),
    'content-type',
    'application/json; charset=utf-8',
    'x-request-id',
    '',
    'content-length',
    '',
  ];
  const id = list.length - 3;
  const length = list.length - 1;
  return (req: IncomingMessage, body: string | Buffer): string[] => {
    const h = list.slice();
    h[id] = req.id;
    h[length] = String(Buffer.byteLength(body));
    return h;
  };
}

/** A fast path's error answer first gets what express's front would have set: the security headers and the id. */
export function setFrontHeaders(front: Front, req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent) return;
  const h = front.headers;
  for (let i = 0; i < h.length; i += 2) res.setHeader(h[i]!, h[i + 1]!);
  res.setHeader('x-request-id', req.id);
}

export interface AppShell {
  app: Express;
  front: Front;
  /**
   * The form body parser express runs, for a fast path to read forms exactly as express does; `fast` reads the
   * common request (a declared length within the limit, no encoding) into the same body with less machinery.
   */
  formParser: ((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void) & {
    fast: FormReader;
  };
  /** Flipped by main.ts on shutdown so /readyz fails before the listener closes. */
  setReady(ready: boolean): void;
}

/**
 * Assembles the express app from explicit dependencies; it does not listen (ARCHITECTURE.md, "The modules and their arrows"). Module routers
 * are mounted between the common front (headers, ids, logs, body parsing) and the problem handler.
 */
export function createAppShell(
  ctx: AppContext,
  routers: Router[],
  webRoot: string,
  opts: { durable?: () => boolean; ping?: () => Promise<boolean>; oauthEndpoints?: string[] } = {},
): AppShell {
  const durable = opts.durable ?? (() => true);
  const app = express();
  let ready = true;
  app.disable('x-powered-by');
  // express's fallback error page shows stack traces outside 'production'; every error is ours to answer anyway.
  app.set('env', 'production');
  // No ETag on API answers: it would be a fingerprint of personal data (static files keep theirs).
  app.set('etag', false);
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', 'simple');
  const headers = securityHeaders({ https: ctx.config.secureCookies });
  const log = requestLog(ctx.logger, new Set(['/healthz', '/readyz']));
  const commonFront: Front = Object.assign(
    function front(req: IncomingMessage, res: ServerResponse, next: () => void) {
      headers(req, res, () => log(req, res, next));
    },
    { headers: headers.flat, track: log.track },
  );
  app.use(commonFront);
  // The endpoints an OAuth client calls directly answer errors as application/json with `error` (RFC 6749
  // §5.2, RFC 7591 §3.2.2): chosen before the body parsers, so that their errors are answered that way too.
  if (opts.oauthEndpoints?.length) {
    app.use(opts.oauthEndpoints, function answerAsOAuth(_req, res, next) {
      res.locals.errorMediaType = 'application/json';
      next();
    });
  }
  // The dashboard's and the grant-management APIs answer with decrypted personal data, exports and session
  // tokens: no cache may store them (RFC 9111 §5.2.2.5), or they outlive sign-out on a shared computer's disk.
  app.use(['/api', '/company'], function privateAnswers(_req, res, next) {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  app.use(express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] }));
  const formParser = Object.assign(
    express.urlencoded({ extended: false, limit: FORM_LIMIT_BYTES, parameterLimit: FORM_PARAMETER_LIMIT }),
    { fast: formReader(FORM_LIMIT_BYTES, FORM_PARAMETER_LIMIT) },
  );
  app.use(formParser);
  app.use(function refuseUnreadableBodies(req, _res, next) {
    // Every body the vault accepts is JSON or a form; anything else is refused as such, not misread as empty.
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && WRITE_METHODS.has(req.method) && !req.is(BODY_TYPES))
      return next(new UnsupportedMediaType('Send the body as application/json (or a form where the endpoint says so)'));
    next(
      nestedDeeperThan(req.body, MAX_JSON_DEPTH)
        ? new BadRequest(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`)
        : undefined,
    );
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const ping = opts.ping ?? ctx.storage.ping;
  app.get('/readyz', async (_req, res) => {
    const dbOk = await ping();
    const auditDurable = durable();
    const ok = ready && dbOk && auditDurable;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not-ready', database: dbOk, auditDurable });
  });

  for (const r of routers) app.use(r);

  if (existsSync(join(webRoot, 'index.html'))) {
    app.use(
      express.static(webRoot, {
        index: 'index.html',
        maxAge: '1h',
        setHeaders: (res, path) => {
          if (path.endsWith('.html')) res.setHeader('cache-control', 'no-store');
        },
      }),
    );
    // Dashboard routes are client-side; serve the shell for them.
    app.get(DASHBOARD_PAGES, (_req, res) => {
      res.setHeader('cache-control', 'no-store');
      res.sendFile(join(webRoot, 'index.html'));
    });
  }

  app.use(notFoundHandler);
  app.use(problemHandler(ctx.logger, ctx.config.publicUrl, createErrorPage(webRoot)));
  return { app, front: commonFront, formParser, setReady: (r) => void (ready = r) };
}
