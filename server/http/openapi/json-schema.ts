import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

// zod writes both `format` and the regular expression it checks with; the format alone reads better
// in the docs and is what a client's generator understands.
const FORMATS_WITHOUT_PATTERN = new Set(['date-time', 'date', 'uuid', 'email', 'uri']);

/**
 * A zod schema as an OpenAPI 3.1 Schema Object (JSON Schema draft 2020-12). `input` describes what a
 * client sends (defaults make a member optional), `output` what the vault answers. Refinements that
 * JSON Schema cannot say (a custom check) are left out: the schema stays a truthful superset.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    reused: 'inline',
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && FORMATS_WITHOUT_PATTERN.has(jsonSchema.format))
        delete jsonSchema.pattern;
    },
  }) as JsonSchema;
  delete out.$schema;
  if (out.$defs) throw new Error('toJsonSchema: recursive schemas ($defs) are not supported in the OpenAPI document');
  return out;
}
