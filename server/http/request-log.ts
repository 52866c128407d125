import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: always a fresh UUID made here (never the caller's `x-request-id`); sent back in the response. */
    id: string;
  }
}

/**
 * Gives every request an id and writes one log line when its response is finished or abandoned:
 * id, method, path (no query string: it may carry codes or state), status and duration. Nothing
 * else about the request reaches the log: no headers, bodies, cookies or tokens (SECURITY.md "Logs").
 * One listener and one pino call per request, no per-request child logger: this runs on the hot path.
 */
export interface RequestLog {
  (req: IncomingMessage, res: ServerResponse, next: () => void): void;
  /** The same id and log line without setting `x-request-id`: for a fast path that writes every header at once. */
  track(req: IncomingMessage, res: ServerResponse): void;
}

export function requestLog(logger: Logger, quiet: ReadonlySet<string>): RequestLog {
  // These lines are built here from fixed, safe fields only, so they skip the root logger's redaction
  // pass (a second net for other log calls), which costs more than the rest of the line.
  const lines = logger.child({}, { redact: [] });
  const track = (req: IncomingMessage, res: ServerResponse) => {
    // The id reaches the audit trail, which nobody can edit or erase: a caller's own `x-request-id` could
    // carry personal data or forge and duplicate ids, so it is ignored (SECURITY.md "Logs").
    const id = randomUUID();
    req.id = id;
    const path = (req.url ?? '').split('?', 1)[0]!;
    if (!quiet.has(path)) {
      const start = performance.now();
      res.once('close', () => {
        const finished = res.writableFinished;
        const status = res.statusCode;
        const level = status >= 500 ? 'error' : !finished || status >= 400 ? 'warn' : 'info';
        lines[level](
          {
            req: { id, method: req.method, path },
            res: { status },
            responseTime: Math.round(performance.now() - start),
          },
          finished ? 'request completed' : 'request aborted',
        );
      });
    }
  };
  const log = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    track(req, res);
    res.setHeader('x-request-id', req.id);
    next();
  };
  return Object.assign(log, { track });
}
