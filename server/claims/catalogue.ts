import { z } from 'zod';
import { FIELD_CATALOGUE, isFieldName } from '../customers/field-catalogue.ts';
import type { Category } from '../policy/types.ts';
import { COUNTRY_CODES, EU_MEMBERS } from './countries.ts';

/**
 * Claims (ARCHITECTURE.md, "Claims: answers instead of data"): a company asks a question about a field and
 * gets the answer, never the value. Each claim is data: the fields it needs, the schema of its parameter,
 * the category it reveals (less than its fields': a yes/no about a date of birth is not identity), how its
 * parameter reads in words, and how the answer is computed. Parameters are closed vocabularies (numbers in a
 * range, ISO codes, catalogue names), so they may appear in the audit trail.
 */
export type ClaimResult = boolean | null;

interface ClaimSpec<P> {
  category: Category;
  /** Which profile fields the answer is computed from. */
  fields: (p: P) => string[];
  param: z.ZodType<P>;
  /** The parameter as a scope token writes it (`claim:age_over:18`). */
  fromScope: (s: string) => unknown;
  /** "whether you are over 18": the question in the customer's words. */
  question: (p: P) => string;
  /** "not your date of birth": what the company does not learn. */
  notLearned: (p: P) => string;
  /** The fact as learned ("you are over 18"), for a true answer; `negated` for a false one. */
  fact: (p: P, negated: boolean) => string;
  answer: (p: P, values: Record<string, unknown>) => ClaimResult;
}

const num = (s: string) => (/^\d{1,6}$/.test(s) ? Number(s) : s);
const labelOf = (f: string) => (isFieldName(f) ? FIELD_CATALOGUE[f].label.toLowerCase() : f);
const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** Whole years between a birth date (YYYY-MM-DD) and today (UTC). */
export function ageOn(birth: string, today: Date): number {
  const [y = 0, m = 0, d = 0] = birth.split('-').map(Number);
  const [ty, tm, td] = [today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()];
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
}

const countries = z
  .array(z.string().refine((c) => c === 'EU' || COUNTRY_CODES.has(c), 'unknown ISO 3166-1 alpha-2 country code'))
  .min(1)
  .max(60);
/** The lower bound of a banded income ("30000-50000", "30k-50k", "over 80k"), in whole units. */
function incomeFloor(band: unknown): number | null {
  const m = typeof band === 'string' ? /(\d+(?:[.,]\d+)?)\s*(k)?/i.exec(band) : null;
  return m ? Number(m[1]!.replace(',', '.')) * (m[2] ? 1000 : 1) : null;
}

function spec<P>(s: ClaimSpec<P>): ClaimSpec<unknown> {
  return s as ClaimSpec<unknown>;
}

/** Computed against the clock the caller passes (the injected one), so tests need not wait for birthdays. */
export function claimCatalogue(today: () => Date) {
  return {
    age_over: spec<number>({
      category: 'eligibility',
      fields: () => ['date_of_birth'],
      param: z.number().int().min(1).max(130),
      fromScope: num,
      question: (n) => `whether you are over ${n}`,
      notLearned: () => 'not your date of birth',
      fact: (n, no) => `you are ${no ? 'not ' : ''}over ${n}`,
      answer: (n, v) => (typeof v.date_of_birth === 'string' ? ageOn(v.date_of_birth, today()) >= n : null),
    }),
    country_in: spec<string[]>({
      category: 'eligibility',
      fields: () => ['country'],
      param: countries,
      fromScope: (s) => s.split(','),
      question: (cs) => `whether you live in ${cs.join(', ')}`,
      notLearned: () => 'not which country you live in',
      fact: (cs, no) => `you ${no ? 'do not live' : 'live'} in ${cs.join(', ')}`,
      answer: (cs, v) =>
        typeof v.country === 'string'
          ? cs.some((c) => c === v.country || (c === 'EU' && EU_MEMBERS.includes(v.country as string)))
          : null,
    }),
    postal_code_prefix: spec<string>({
      category: 'eligibility',
      fields: () => ['postal_code'],
      param: z.string().regex(/^[A-Z0-9]{1,5}$/, 'expected 1 to 5 capital letters or digits'),
      fromScope: (s) => s,
      question: (p) => `whether your postal code starts with ${p}`,
      notLearned: () => 'not your postal code',
      fact: (p, no) => `your postal code ${no ? 'does not start' : 'starts'} with ${p}`,
      answer: (p, v) =>
        typeof v.postal_code === 'string' ? v.postal_code.replace(/\s+/g, '').toUpperCase().startsWith(p) : null,
    }),
    income_band_at_least: spec<number>({
      category: 'eligibility',
      fields: () => ['income_band'],
      param: z.number().int().min(0).max(10_000_000),
      fromScope: num,
      question: (n) => `whether your income band starts at ${n} or more`,
      notLearned: () => 'not your income band',
      fact: (n, no) => `your income band ${no ? 'starts below' : 'starts at'} ${n}${no ? '' : ' or more'}`,
      answer: (n, v) => {
        const floor = incomeFloor(v.income_band);
        return floor === null ? null : floor >= n;
      },
    }),
    household_size_at_least: spec<number>({
      category: 'eligibility',
      fields: () => ['household_size'],
      param: z.number().int().min(1).max(50),
      fromScope: num,
      question: (n) => `whether your household has at least ${n} people`,
      notLearned: () => 'not how many people it has',
      fact: (n, no) => `your household has ${no ? 'fewer than' : 'at least'} ${n} people`,
      answer: (n, v) => (typeof v.household_size === 'number' ? v.household_size >= n : null),
    }),
    has_field: spec<string>({
      category: 'eligibility',
      fields: (f) => [f],
      param: z.string().refine(isFieldName, 'unknown field (see GET /api/fields)'),
      fromScope: (s) => s,
      question: (f) => `whether you have filled in your ${labelOf(f)}`,
      notLearned: (f) => `not your ${labelOf(f)}`,
      fact: (f, no) => `you ${no ? 'have not' : 'have'} filled in your ${labelOf(f)}`,
      answer: (f, v) => !isEmpty(v[f]),
    }),
  };
}

export const CLAIM_NAMES = [
  'age_over',
  'country_in',
  'postal_code_prefix',
  'income_band_at_least',
  'household_size_at_least',
  'has_field',
] as const;
export type ClaimName = (typeof CLAIM_NAMES)[number];
export const claimNameSchema = z.enum(CLAIM_NAMES);

/** A claim as a grant holds it: its name and its validated parameter. */
export interface ClaimRequest {
  name: ClaimName;
  value: unknown;
}

/** The catalogue's shape, with no clock: for validation and categories (answers need `claimCatalogue`). */
export const CLAIMS = claimCatalogue(() => new Date(0));

/** Parses `{ name, value }` against the catalogue: an unknown name or a bad parameter is an issue list. */
export const claimRequestSchema = z.strictObject({ name: claimNameSchema, value: z.unknown() }).transform((c, ctx) => {
  const r = CLAIMS[c.name].param.safeParse(c.value);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: ['value', ...i.path] });
    return z.NEVER;
  }
  return { name: c.name, value: r.data } as ClaimRequest;
});

/** The parameter in the audit trail's closed vocabulary: a number, a catalogue name or ISO codes. */
export const claimParameter = (c: ClaimRequest) => (Array.isArray(c.value) ? c.value.join(',') : String(c.value));

export const claimCategoriesOf = (claims: readonly ClaimRequest[] = []): Category[] => [
  ...new Set(claims.map((c) => CLAIMS[c.name].category)),
];

export const claimFieldsOf = (c: ClaimRequest) => CLAIMS[c.name].fields(c.value);

/** "Brewco will learn whether you are over 18, not your date of birth" */
export const claimSentence = (company: string, c: ClaimRequest) =>
  `${company} will learn ${CLAIMS[c.name].question(c.value)}, ${CLAIMS[c.name].notLearned(c.value)}`;

/** "learned that you are over 18"; null (no answer: the field is empty) reads "asked whether …". */
export const learnedSentence = (c: ClaimRequest, result: ClaimResult) =>
  result === null
    ? `asked ${CLAIMS[c.name].question(c.value)} (no answer: not filled in)`
    : `learned that ${CLAIMS[c.name].fact(c.value, !result)}`;

/**
 * The customer's activity line of a claim event ("learned that you are over 18"), rebuilt from the audit
 * event's closed-vocabulary detail; undefined for anything that is not a well-formed claim detail.
 */
export function learnedFromDetail(detail: Record<string, unknown> | undefined): string | undefined {
  const name = claimNameSchema.safeParse(detail?.claim);
  if (!name.success || typeof detail?.parameter !== 'string') return undefined;
  const c = claimRequestSchema.safeParse({ name: name.data, value: CLAIMS[name.data].fromScope(detail.parameter) });
  if (!c.success) return undefined;
  const result = detail.result === 'true' ? true : detail.result === 'false' ? false : null;
  return learnedSentence(c.data, result);
}
