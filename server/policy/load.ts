// Reads policies/ synchronously at start-up. A bad file must stop the server with a message a
// policy author can act on: the file, the path inside it, and the reason (ARCHITECTURE.md, "Where policy decisions happen").
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { buildPolicySet } from './build.ts';
import { formatPath, PolicyLoadError } from './errors.ts';
import { fileSchemas, POLICY_FILES, type PolicyFileName, type PolicyFiles } from './files.ts';
import type { PolicySet } from './registry.ts';

export { PolicyLoadError } from './errors.ts';
export { budgetFor, isSensitive, maxDurationDays, purposeOf } from './registry.ts';
export type { PolicySet, PurposeEntry } from './registry.ts';

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PolicyLoadError(file, '', code === 'ENOENT' ? 'file is missing' : `cannot be read (${code ?? 'error'})`);
  }
}

/** YAML -> plain data; syntax errors carry their line and column. */
export function parseYaml(file: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const where = err.linePos ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    throw new PolicyLoadError(file, where, `YAML syntax error: ${err.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

/** Validates with a zod schema; the first problem is reported, with a count of the others. */
export function validate<T extends z.ZodType>(file: string, schema: T, data: unknown): z.output<T> {
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.length ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  throw new PolicyLoadError(file, formatPath(first?.path ?? []), `${first?.message ?? 'invalid'}${more}`);
}

export function loadPolicySet(dir = 'policies'): PolicySet {
  const hash = createHash('sha256');
  const files: Partial<Record<PolicyFileName, unknown>> = {};
  for (const name of POLICY_FILES) {
    const file = join(dir, name);
    const text = readText(file);
    // Name and length frame each file so that moving bytes between files changes the hash.
    hash.update(`${name}\n${Buffer.byteLength(text)}\n${text}\n`);
    files[name] = validate(file, fileSchemas[name], parseYaml(file, text));
  }
  const version = `sha256:${hash.digest('hex')}`;
  return buildPolicySet(dir, version, files as PolicyFiles);
}
