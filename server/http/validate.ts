import type { z } from 'zod';
import { ValidationFailed } from './errors.ts';

/** Parses input at the boundary (ARCHITECTURE.md, "The audited unit and group commit"); the problem body lists every issue by path. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ValidationFailed(
    errors
      .map((e) => `${e.path}: ${e.message}`)
      .join('; ')
      .slice(0, 500),
    { errors },
  );
}

/** Deeper JSON than any request of ours needs; deeper bodies would exhaust the stack of recursive code. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests objects or arrays deeper than `max` (iterative: never recurses). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
