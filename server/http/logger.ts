import { pino, type Logger } from 'pino';

/**
 * Logs carry request ids, routes and statuses, never bodies, cookies or tokens: personal data must
 * not reach the logs (SECURITY.md "Logs").
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers.dpop', 'res.headers["set-cookie"]', '*.password', '*.email'],
      censor: '[redacted]',
    },
  }, destination ?? process.stdout);
}
