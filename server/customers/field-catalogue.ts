import { z } from 'zod';

/**
 * The profile's field catalogue (ARCHITECTURE.md, "The encrypted profile"): every field a customer can keep, with its category and
 * the schema its value must satisfy. Grants name fields from here; policies reason about categories.
 */
import type { Category } from '../policy/types.ts';

export type { Category };

// Printable text only: no control characters (NUL, escapes) and no lone surrogates, which many JSON
// consumers cannot read back.
const printable = (s: string) =>
  !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(
    s,
  );
const text = (max = 200) =>
  z.string().trim().min(1).max(max).refine(printable, 'control characters or unpaired surrogates are not allowed');
const list = (max = 50) => z.array(text(200)).max(max);

export interface FieldSpec {
  category: Category;
  label: string;
  schema: z.ZodType;
}

export const FIELD_CATALOGUE = {
  email: { category: 'contact', label: 'E-mail address', schema: z.email().max(254) },
  phone: { category: 'contact', label: 'Phone number', schema: z.string().regex(/^\+?[0-9 ()-]{5,24}$/) },
  given_name: { category: 'identity', label: 'Given name', schema: text(100) },
  family_name: { category: 'identity', label: 'Family name', schema: text(100) },
  date_of_birth: { category: 'identity', label: 'Date of birth', schema: z.iso.date() },
  national_id: { category: 'identity', label: 'National identity number', schema: text(40) },
  street_address: { category: 'address', label: 'Street address', schema: text(200) },
  postal_code: { category: 'address', label: 'Postal code', schema: text(20) },
  city: { category: 'address', label: 'City', schema: text(100) },
  country: { category: 'address', label: 'Country', schema: z.string().regex(/^[A-Z]{2}$/) },
  gender: { category: 'demographics', label: 'Gender', schema: text(50) },
  household_size: { category: 'demographics', label: 'Household size', schema: z.number().int().min(1).max(50) },
  language: {
    category: 'preferences',
    label: 'Preferred language',
    schema: z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/),
  },
  interests: { category: 'preferences', label: 'Interests', schema: list() },
  contact_channel: {
    category: 'preferences',
    label: 'Preferred contact channel',
    schema: z.enum(['email', 'phone', 'post', 'none']),
  },
  clothing_size: { category: 'preferences', label: 'Clothing size', schema: text(20) },
  purchase_history: { category: 'purchases', label: 'Purchase history', schema: list(500) },
  loyalty_memberships: { category: 'purchases', label: 'Loyalty memberships', schema: list() },
  devices: { category: 'devices', label: 'Devices owned', schema: list() },
  allergies: { category: 'health', label: 'Allergies', schema: list() },
  dietary_needs: { category: 'health', label: 'Dietary needs', schema: list() },
  iban: {
    category: 'financial',
    label: 'Bank account (IBAN)',
    schema: z.string().regex(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$/),
  },
  income_band: { category: 'financial', label: 'Income band', schema: text(50) },
  home_location: {
    category: 'location',
    label: 'Home location',
    schema: z.string().regex(/^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$/),
  },
} satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof FIELD_CATALOGUE;
export const FIELD_NAMES = Object.keys(FIELD_CATALOGUE) as FieldName[];

export function isFieldName(name: string): name is FieldName {
  return Object.hasOwn(FIELD_CATALOGUE, name);
}

export function categoryOf(field: FieldName): Category {
  return FIELD_CATALOGUE[field].category;
}

export const fieldNameSchema = z.string().refine(isFieldName, { message: 'unknown field (see GET /api/fields)' });

/** The catalogue as published to clients (GET /api/fields). */
export function publicCatalogue(isSensitive: (category: Category) => boolean) {
  return FIELD_NAMES.map((name) => ({
    name,
    category: FIELD_CATALOGUE[name].category,
    sensitive: isSensitive(FIELD_CATALOGUE[name].category),
    label: FIELD_CATALOGUE[name].label,
    schema: z.toJSONSchema(FIELD_CATALOGUE[name].schema),
  }));
}
