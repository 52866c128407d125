import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { TooManyRequests } from './errors.ts';
import type { RateStores } from './rate-store.ts';

/**
 * Per-client rate limits answered as problem+json 429 with Retry-After. Keys never hold personal
 * data in clear: an account name is hashed before it becomes part of a key. `stores` comes from the context
 * (AppContext.shared): without it the count is express-rate-limit's in-memory one, right for SQLite's one
 * server per file; with it (PostgreSQL) every server counts in the database.
 */
export function limiter(
  opts: {
    windowMs: number;
    limit: number;
    key?: (req: Request) => string;
    perIp?: boolean;
    skipSuccessfulRequests?: boolean;
    /** Requests this limit does not count (and never refuses). */
    skip?: (req: Request) => boolean;
    what: string;
  },
  stores?: RateStores,
) {
  // Distinct for every limiter of the app, and the same on every server: it prefixes the stored keys.
  const id = `${opts.what}/${opts.windowMs}/${opts.limit}/${opts.perIp === false ? 'key' : opts.key ? 'ip+key' : 'ip'}`;
  return rateLimit({
    ...(stores ? { store: stores(id) } : {}),
    windowMs: opts.windowMs,
    limit: opts.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: opts.skipSuccessfulRequests ?? false,
    ...(opts.skip ? { skip: opts.skip } : {}),
    // With a key and perIp: false the limit is the key's alone, whatever address the requests come from
    // (an account's failed sign-ins: an attacker with many addresses gets no more guesses).
    keyGenerator: (req) =>
      opts.key && opts.perIp === false
        ? opts.key(req)
        : ipKeyGenerator(req.ip ?? 'unknown') + (opts.key ? '|' + opts.key(req) : ''),
    handler: (_req, _res, next) =>
      next(new TooManyRequests(`Too many ${opts.what}; try again later`, Math.ceil(opts.windowMs / 1000))),
  });
}

export const hashedBodyField = (field: string) => (req: Request) =>
  createHash('sha256')
    .update(
      String((req.body as Record<string, unknown> | undefined)?.[field] ?? '')
        .trim()
        .toLowerCase(),
    )
    .digest('hex')
    .slice(0, 16);
