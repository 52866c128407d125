import type { z } from 'zod';
import { ValidationFailed } from './errors.ts';

/** Parses input at the boundary (DESIGN §2); the problem body lists every issue by path. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ValidationFailed(errors.map((e) => `${e.path}: ${e.message}`).join('; ').slice(0, 500), { errors });
}
