import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ErrorPage } from './error-page.ts';
import { isNavigation } from './error-page.ts';
import { NotFound, problemType, VaultError, type ChallengeContext } from './errors.ts';
import { storageProblem } from '../db/pg/errors.ts';

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

/** The RFC 6749 §5.2 / RFC 9126 §2.3 code closest to a non-OAuth error's status. */
function oauthErrorCode(status: number): string {
  if (status === 401) return 'invalid_client';
  if (status === 403) return 'access_denied';
  if (status === 429) return 'slow_down';
  if (status >= 500) return status === 503 ? 'temporarily_unavailable' : 'server_error';
  return 'invalid_request';
}

export interface ProblemReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Where a reply is made: the public URL its problem types live under, and what the endpoint adds. */
export interface ProblemSetting extends ChallengeContext {
  /** The vault's public URL (config.publicUrl): problem types are `${publicUrl}/problems/${slug}`. */
  publicUrl: string;
  /** RFC 6749 §5.2 endpoints answer as application/json; everything else as problem+json. */
  mediaType?: string;
}

/**
 * Turns any error into its RFC 9457 problem+json reply; anything unexpected is a bare 500 whose
 * cause is only logged. Used by express's error handler and by the data API's own hot path.
 */
export function problemReply(
  err: unknown,
  requestId: string | undefined,
  logger: Logger,
  setting: ProblemSetting,
): ProblemReply {
  const mediaType = setting.mediaType ?? PROBLEM_JSON;
  const instance = `urn:request:${requestId ?? ''}`;
  // A database error that means something to the caller (the database is down: 503; text it cannot hold: 400).
  if (!(err instanceof VaultError)) err = storageProblem(err) ?? err;
  if (err instanceof VaultError) {
    // OAuth endpoints answer in RFC 6749 §5.2's media type; the body is an RFC 9457 problem either way,
    // and there every error also carries an OAuth `error` code that standard clients understand.
    const oauth =
      mediaType !== PROBLEM_JSON ? { error: oauthErrorCode(err.status), error_description: err.detail } : {};
    return {
      status: err.status,
      headers: { ...err.headers(setting), 'content-type': `${mediaType}; charset=utf-8` },
      body: JSON.stringify({
        type: problemType(setting.publicUrl, err.slug),
        title: err.title,
        status: err.status,
        detail: err.detail,
        instance,
        ...oauth,
        ...err.extras,
      }),
    };
  }
  const problem = { 'content-type': `${PROBLEM_JSON}; charset=utf-8` };
  // Errors thrown by express's body parsers and by node carry their status and a `type` slug.
  const parsed = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status =
    typeof parsed.status === 'number' ? parsed.status : typeof parsed.statusCode === 'number' ? parsed.statusCode : 500;
  if (status >= 400 && status < 500) {
    const known = PARSER_PROBLEMS[String(parsed.type)] ?? { slug: 'bad-request', title: 'The request is malformed' };
    const oauth = mediaType !== PROBLEM_JSON ? { error: oauthErrorCode(status), error_description: known.title } : {};
    return {
      status,
      headers: { 'content-type': `${mediaType}; charset=utf-8` },
      body: JSON.stringify({
        type: problemType(setting.publicUrl, known.slug),
        title: known.title,
        status,
        detail: known.title,
        instance,
        ...oauth,
      }),
    };
  }
  logger.error({ err, reqId: requestId }, 'unhandled error');
  return {
    status: 500,
    headers: problem,
    body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, instance }),
  };
}

/** Writes a problem reply on a plain node response (or drops the connection if the answer had begun). */
export function sendProblem(res: ServerResponse, p: ProblemReply): void {
  if (res.headersSent) return void res.destroy();
  try {
    res.writeHead(p.status, { ...p.headers, 'content-length': Buffer.byteLength(p.body) });
  } catch {
    // A header value node refuses: the problem still goes out, without the extra headers.
    res.writeHead(p.status, {
      'content-type': p.headers['content-type'] ?? `${PROBLEM_JSON}; charset=utf-8`,
      'content-length': Buffer.byteLength(p.body),
    });
  }
  res.end(p.body);
}

/** express's error handler: every error becomes problem+json, or for a browser navigation an HTML page. */
export function problemHandler(logger: Logger, publicUrl: string, page?: ErrorPage): ErrorRequestHandler {
  return (err, req, res, _next) => {
    try {
      const { errorMediaType: mediaType, resourceMetadata } = res.locals;
      const reply = problemReply(err, req.id, logger, { publicUrl, mediaType, resourceMetadata });
      if (page && !res.headersSent && isNavigation(req)) return page.send(res, reply, res.locals.returnTo);
      sendProblem(res, reply);
    } catch (e) {
      // Never fall through to express's default page (it would show a stack trace outside production).
      logger.error({ err: e, reqId: req.id }, 'problem reply failed');
      res.destroy();
    }
  };
}

/** The statuses node's own clientError handler gives these parser errors; anything else is a 400. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers-too-large', 'The request headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload-too-large', 'The request chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request-timeout', 'The request took too long to arrive'],
};

/**
 * The server's `clientError` listener: a request node's parser refuses before any route sees it (headers
 * too large, a malformed request line) still gets a problem+json 4xx instead of node's bare status line.
 * `publicUrl` is the vault's (config.publicUrl): listen with `(err, socket) => answerClientError(err, socket, url)`.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, publicUrl: string): void {
  // As node's own handler: an answer already under way on this connection (a streamed export) cannot be
  // followed by another status line, so the connection is only closed.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || err.code === 'ECONNRESET' || inFlight?.headersSent) return void socket.destroy();
  const [status, slug, title] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad-request', 'The request is malformed'];
  const body = JSON.stringify({ type: problemType(publicUrl, slug), title, status, detail: title });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${PROBLEM_JSON}; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-content-type-options: nosniff\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
  );
}
