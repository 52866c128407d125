import { z } from 'zod';

/** Small response building blocks shared by the modules' openapi.ts files. */
export const isoTime = z.iso.datetime().meta({ description: 'ISO 8601 UTC, e.g. 2025-01-31T12:00:00.000Z' });
export const uuid = z.uuid();
export const companyRefSchema = z
  .object({ id: z.string(), name: z.string() })
  .meta({ description: 'The company, by client id and registered name' });
/** A connected product's client (RFC 8628): what the customer sees it as. */
export const productFields = {
  product: z.string().optional().meta({ description: 'A connected product: the product_name it registered' }),
  label: z
    .string()
    .optional()
    .meta({ description: 'A connected product, as the customer sees it: "Your toothbrush, by Brushco"' }),
};
export const vaultHandle = z
  .string()
  .meta({ description: "The customer's public vault handle, e.g. vh-abcde-fghjk", examples: ['vh-k7m2p-q9rst'] });
