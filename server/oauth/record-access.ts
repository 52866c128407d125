import { z } from 'zod';
import { isRecordCategory, recordSpec } from '../data/record-catalogue.ts';
import type { Category } from '../policy/types.ts';

/**
 * Records a grant covers, asked for as a second RFC 9396 authorization_details entry of its own type (RFC 9396
 * §2: each entry's `type` says how to read it, so a reader that knows `customer_data` is not surprised):
 *   { "type": "customer_records", "categories": ["purchases"], "window": "P12M", "sources": "any" }
 * `window` is how far back the grant reaches (ISO 8601 days, months or years: "P90D", "P12M", "P2Y"); `sources`
 * is "any" (records from every company) or a list of company ids. The grant's actions (from its
 * `customer_data` entry) apply: `read` reads these records, `deposit` adds records of these categories.
 */
export interface RecordAccess {
  categories: string[];
  window: string;
  sources: 'any' | string[];
}

export const windowSchema = z.string().regex(/^P[1-9]\d{0,3}[DMY]$/, 'an ISO 8601 window such as "P12M" or "P90D"');
export const sourcesSchema = z.union([z.literal('any'), z.array(z.string().min(1).max(100)).min(1).max(50)]);

export const recordDetailSchema = z.strictObject({
  type: z.literal('customer_records'),
  categories: z.array(z.string().refine(isRecordCategory, 'unknown record category')).min(1).max(20),
  window: windowSchema.default('P12M'),
  sources: sourcesSchema.default('any'),
});

/** The earliest time a window reaches back to from `now` (calendar months and years, as people count them). */
export function windowStart(window: string, now: Date): Date {
  const n = Number(window.slice(1, -1));
  const d = new Date(now.getTime());
  const unit = window.at(-1);
  if (unit === 'D') d.setUTCDate(d.getUTCDate() - n);
  else if (unit === 'M') d.setUTCMonth(d.getUTCMonth() - n);
  else d.setUTCFullYear(d.getUTCFullYear() - n);
  return d;
}

/** A window's length in whole days, to compare two windows (the customer may only shorten one). */
export const windowDays = (window: string) =>
  Math.round((Date.UTC(2000, 0, 1) - windowStart(window, new Date(Date.UTC(2000, 0, 1))).getTime()) / 86_400_000);

/** Whether `narrow` asks for no more than `wide`: a window no longer, sources within (the customer narrows). */
export function withinAccess(narrow: RecordAccess, wide: RecordAccess): boolean {
  const sourcesOk =
    wide.sources === 'any' || (narrow.sources !== 'any' && narrow.sources.every((s) => wide.sources.includes(s)));
  return (
    windowDays(narrow.window) <= windowDays(wide.window) &&
    sourcesOk &&
    narrow.categories.every((c) => wide.categories.includes(c))
  );
}

/** The policy categories a grant's records fall in: records inherit their category's sensitivity and limits. */
export const policyCategoriesOfRecords = (r: RecordAccess | undefined): Category[] =>
  r ? [...new Set(r.categories.map((c) => recordSpec(c).policy))] : [];

export const sameRecordAccess = (a?: RecordAccess, b?: RecordAccess) => JSON.stringify(a) === JSON.stringify(b);

const UNIT_WORDS = { D: 'day', M: 'month', Y: 'year' } as const;

/** A window in words, as the consent screen says it: "P12M" is "the last 12 months", "P1M" "the last month". */
export function windowText(window: string): string {
  const n = Number(window.slice(1, -1));
  const unit = UNIT_WORDS[window.at(-1) as keyof typeof UNIT_WORDS];
  return n === 1 ? `the last ${unit}` : `the last ${n} ${unit}s`;
}

// The windows a customer can pick instead of the one asked for (only ever shorter: withinAccess).
const WINDOW_CHOICES = ['P1M', 'P3M', 'P6M', 'P12M', 'P2Y', 'P5Y'];

/** The asked window and every shorter common one, shortest first, each in words. */
export const windowChoices = (asked: string) =>
  [...new Set([...WINDOW_CHOICES.filter((w) => windowDays(w) < windowDays(asked)), asked])]
    .sort((a, b) => windowDays(a) - windowDays(b))
    .map((value) => ({ value, text: windowText(value) }));
