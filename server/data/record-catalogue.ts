import { z } from 'zod';
import { CATEGORIES, type Category } from '../policy/types.ts';

/**
 * The record catalogue (ARCHITECTURE.md, "How to add a record category"): every category of record a company
 * or a device can deposit, with the policy category it inherits sensitivity and limits from, the schema its
 * content must satisfy, when it happened (what a grant's window judges), and how the customer's page says it
 * in words. Deposits, grants, reads, the customer's page and the OpenAPI document take their list from here.
 */
export interface RecordSpec<T = unknown> {
  /** The policy category (policies/categories.yaml) whose sensitivity and limits the record inherits. */
  policy: Category;
  label: string;
  schema: z.ZodType<T>;
  /** When the recorded thing happened, if the content says (else the deposit time counts). */
  timeOf?: (content: T) => string | undefined;
  describe: (content: T) => string;
}

/** Each entry is typed by its own schema; the catalogue holds them as specs of parsed content. */
const spec = <T>(s: RecordSpec<T>) => s as unknown as RecordSpec;

const printable = /^[^\p{Cc}]*$/u;
const text = (max = 200) => z.string().trim().min(1).max(max).regex(printable, 'must be one line of text');
const money = z.number().min(0).max(1e9);
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"');

const purchase = z.strictObject({
  merchant: text(100),
  items: z
    .array(z.strictObject({ name: text(200), quantity: z.number().int().min(1).max(10_000), price: money }))
    .min(1)
    .max(100),
  total: money,
  currency,
  time: z.iso.datetime({ offset: true }),
  orderReference: text(100).optional(),
});

const service = z.strictObject({
  provider: text(100),
  kind: text(100),
  time: z.iso.datetime({ offset: true }),
  summary: text(500),
});

/** Device events: the kinds in DEVICE_ATTENTION tell the customer in their inbox; any other kind is kept. */
export const DEVICE_ATTENTION = ['battery_low', 'needs_service'] as const;
const device = z.strictObject({
  product: text(100),
  maker: text(100),
  serial: text(100),
  purchased: z.iso.date(),
  warrantyUntil: z.iso.date().optional(),
  events: z
    .array(
      z.strictObject({
        kind: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a snake_case event kind such as "needs_service"'),
        at: z.iso.datetime({ offset: true }),
        note: text(200).optional(),
      }),
    )
    .max(50)
    .default([]),
});

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const day = (iso: string) => iso.slice(0, 10);

const TYPED = {
  purchases: spec<z.infer<typeof purchase>>({
    policy: 'purchases',
    label: 'Purchases',
    schema: purchase,
    timeOf: (c) => c.time,
    describe: (c) =>
      `${plural(c.items.length, 'item')} bought from ${c.merchant} on ${day(c.time)} for ${c.total} ${c.currency}`,
  }),
  services: spec<z.infer<typeof service>>({
    policy: 'purchases',
    label: 'Services',
    schema: service,
    timeOf: (c) => c.time,
    describe: (c) => `${c.kind} by ${c.provider} on ${day(c.time)}: ${c.summary}`,
  }),
  devices: spec<z.infer<typeof device>>({
    policy: 'devices',
    label: 'Devices',
    schema: device,
    timeOf: (c) => c.events.at(-1)?.at,
    describe: (c) => {
      const last = c.events.at(-1);
      return (
        `${c.product} by ${c.maker}, bought ${c.purchased}` + (last ? `; latest: ${last.kind.replace(/_/g, ' ')}` : '')
      );
    },
  }),
} satisfies Record<string, RecordSpec>;

// Every other policy category keeps a free-form note (records predating the typed categories), bounded by the
// deposit size limit only.
const note = z.record(z.string().max(100), z.unknown());
const UNTYPED = Object.fromEntries(
  CATEGORIES.filter((c) => !Object.hasOwn(TYPED, c)).map((c) => [
    c,
    { policy: c, label: `Notes (${c})`, schema: note, describe: () => `A note about your ${c}` } satisfies RecordSpec,
  ]),
);

export const RECORD_CATALOGUE: Record<string, RecordSpec> = { ...TYPED, ...UNTYPED };
export const RECORD_CATEGORIES = Object.keys(RECORD_CATALOGUE) as [string, ...string[]];
export const recordCategorySchema = z.enum(RECORD_CATEGORIES);

export const isRecordCategory = (c: string) => Object.hasOwn(RECORD_CATALOGUE, c);
export const recordSpec = (c: string): RecordSpec => RECORD_CATALOGUE[c]!;

/** The largest deposited content, as JSON (SECURITY.md "Records"). */
export const RECORD_MAX_BYTES = 16_384;

/** Parses deposited content against its category's schema: the parsed value, or the problems in words. */
export function parseRecordContent(
  category: string,
  content: unknown,
): { ok: true; value: unknown } | { ok: false; errors: { path: string; message: string }[] } {
  const r = recordSpec(category).schema.safeParse(content);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    errors: r.error.issues.slice(0, 20).map((i) => ({ path: ['content', ...i.path].join('.'), message: i.message })),
  };
}
