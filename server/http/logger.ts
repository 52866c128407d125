import { pino, type Logger } from 'pino';

/**
 * Logs carry request ids, routes and statuses, never bodies, cookies or tokens: personal data must
 * not reach the logs (SECURITY.md "Logs").
 */
/**
 * Logs go to stdout through an asynchronous 4 KB buffer (one write per batch of lines, not per
 * request); main.ts flushes it on shutdown.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers.dpop',
          'res.headers["set-cookie"]',
          '*.password',
          '*.email',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
}
