import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { NotFound, PROBLEM_BASE, VaultError } from './errors.ts';

export const PROBLEM_JSON = 'application/problem+json';

/** body-parser / http-errors failures that are the client's fault, mapped to stable problem types. */
const PARSER_PROBLEMS: Record<string, { slug: string; title: string }> = {
  'entity.parse.failed': { slug: 'malformed-body', title: 'The request body is not valid' },
  'entity.too.large': { slug: 'payload-too-large', title: 'The request body is too large' },
  'encoding.unsupported': { slug: 'unsupported-encoding', title: 'The request body encoding is not supported' },
  'charset.unsupported': { slug: 'unsupported-encoding', title: 'The request body charset is not supported' },
  'request.aborted': { slug: 'request-aborted', title: 'The request was aborted' },
  'request.size.invalid': { slug: 'malformed-body', title: 'The request body length is wrong' },
  'parameters.too.many': { slug: 'malformed-body', title: 'The request has too many parameters' },
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFound(`No resource at ${req.method} ${req.path}`));
};

/** Turns every error into RFC 9457 problem+json; anything unexpected is a bare 500, cause only logged. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const instance = `urn:request:${String(req.id ?? '')}`;
    if (err instanceof VaultError) {
      // OAuth endpoints answer in RFC 6749 §5.2's media type; the body is an RFC 9457 problem either way.
      res.status(err.status).set(err.headers()).type(res.locals.errorMediaType ?? PROBLEM_JSON);
      res.send(JSON.stringify({ type: err.type, title: err.title, status: err.status, detail: err.detail, instance, ...err.extras }));
      return;
    }
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const known = PARSER_PROBLEMS[String(err.type)] ?? { slug: 'bad-request', title: 'The request is malformed' };
      res.status(status).type(PROBLEM_JSON);
      res.send(JSON.stringify({ type: PROBLEM_BASE + known.slug, title: known.title, status, detail: known.title, instance }));
      return;
    }
    logger.error({ err, reqId: req.id }, 'unhandled error');
    if (res.headersSent) return void res.destroy();
    res.status(500).type(PROBLEM_JSON);
    res.send(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, instance }));
  };
}
