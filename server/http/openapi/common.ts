import { z } from 'zod';

/** Small response building blocks shared by the modules' openapi.ts files. */
export const isoTime = z.iso.datetime().meta({ description: 'ISO 8601 UTC, e.g. 2025-01-31T12:00:00.000Z' });
export const uuid = z.uuid();
export const companyRefSchema = z
  .object({ id: z.string(), name: z.string() })
  .meta({ description: 'The company, by client id and registered name' });
export const vaultHandle = z
  .string()
  .meta({ description: "The customer's public vault handle, e.g. vh-abcde-fghjk", examples: ['vh-k7m2p-q9rst'] });
