import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { fastSuccessHeaders, setFrontHeaders, type AppShell, type Front } from '../http/app.ts';
import { BadRequest } from '../http/errors.ts';
import { problemReply, sendProblem } from '../http/problem.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../http/validate.ts';
import { formParams, NO_STORE, type TokenRequestHeaders, type TokenRequests } from './token-requests.ts';

type Endpoint = (h: TokenRequestHeaders, body: Record<string, unknown>) => Promise<unknown>;

/** A form body as express's parser and `req.is` would take it: the plain media type, UTF-8 at most. */
const FORM_TYPE = /^application\/x-www-form-urlencoded(?:\s*;\s*charset=(?:utf-8|"utf-8"))?$/i;

/**
 * Companies call /token and /introspect far more often than anything else but the read, and express's
 * routing through every module's router and its response helpers cost more than these endpoints' own work
 * (ARCHITECTURE.md, "Speed: what we design with"; `npm run bench`). This serves exactly `POST /token` and
 * `POST /introspect` with a form body on the plain node request: the same front (security headers, request
 * id, log line; the headers written in one call with the answer's), the same form parsing (express's parser, or
 * server/http/form-body.ts for the common request) and depth check as express, then the same client authentication,
 * DPoP check and endpoint (server/oauth/token-requests.ts), errors answered as the express routes answer
 * them (RFC 6749 §5.2 application/json). Anything it does not take (another media type, no body, a query
 * string, a session cookie) it leaves to express by answering false, before it has read anything.
 * test/foundation/oauth-fast-path.test.ts keeps the two paths alike.
 */
export function tokenFastPath(d: {
  requests: TokenRequests;
  front: Front;
  formParser: AppShell['formParser'];
  logger: Logger;
  publicUrl: string;
}) {
  const problems = { publicUrl: d.publicUrl, mediaType: 'application/json' };
  // A success's headers, written with the answer in one call (http/app.ts).
  const success = fastSuccessHeaders(d.front, NO_STORE);
  // Exactly these paths: a query string, an escape or a trailing slash is left to express's routing.
  const endpoints = new Map<string | undefined, Endpoint>([
    ['/token', (h, body) => d.requests.token(h, body)],
    ['/introspect', (h, body) => d.requests.introspect(h, body)],
  ]);

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: Endpoint,
    parserError: unknown,
    raw: unknown,
  ) {
    try {
      // The parser's refusals (too large, too many parameters, a bad encoding) answer as express answers them.
      if (parserError) throw parserError;
      if (nestedDeeperThan(raw, MAX_JSON_DEPTH))
        throw new BadRequest(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
      const body = formParams(raw);
      const h = req.headers;
      const json = JSON.stringify(await endpoint({ authorization: h.authorization, dpop: header(h.dpop) }, body));
      res.writeHead(200, success(req, json));
      res.end(json);
    } catch (e) {
      // The front's headers as express's front sets them, then the problem's own (an answer already begun is
      // dropped by sendProblem).
      setFrontHeaders(d.front, req, res);
      sendProblem(res, problemReply(e, req.id, d.logger, problems));
    }
  }

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const endpoint = req.method === 'POST' ? endpoints.get(req.url) : undefined;
    const h = req.headers;
    if (
      !endpoint ||
      !FORM_TYPE.test(h['content-type'] ?? '') ||
      (h['content-length'] === undefined && h['transfer-encoding'] === undefined) ||
      h.cookie !== undefined
    )
      return false;
    d.front.track(req, res);
    // Callbacks passed inline, not named: tsx names every named closure with a property write per request.
    if (d.formParser.fast.takes(req)) d.formParser.fast.read(req, (err, body) => answer(req, res, endpoint, err, body));
    else
      d.formParser(req, res, (err) =>
        answer(req, res, endpoint, err, (req as IncomingMessage & { body?: unknown }).body),
      );
    return true;
  };

  function answer(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, err: unknown, body: unknown) {
    serve(req, res, endpoint, err, body).catch((e: unknown) => {
      d.logger.error({ err: e, reqId: req.id }, 'token request could not be answered');
      res.destroy();
    });
  }
}

/** express's `req.get` gives node's value: a repeated unknown header arrives joined with ", ". */
const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);
