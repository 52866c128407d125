/** Dates, durations and names as a person reads them, in their own locale. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function parse(iso: string | undefined | null): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function formatDateTime(iso: string | undefined | null): string {
  const d = parse(iso);
  return d ? dateTime.format(d) : '—';
}

export function formatDate(iso: string | undefined | null): string {
  const d = parse(iso);
  return d ? dateOnly.format(d) : '—';
}

const longDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });

/** "14 December 2026" (or "December 14, 2026"): a date a person reads in a sentence, in their own locale. */
export function formatLongDate(iso: string | Date | undefined | null): string {
  const d = iso instanceof Date ? iso : parse(iso);
  return d ? longDate.format(d) : '—';
}

/** A server-made sentence with ISO dates in it ("bought 2026-01-15"), the dates said in the customer's locale. */
export function datesInWords(text: string): string {
  return text.replace(/\b(\d{4}-\d{2}-\d{2})(T[\d:.]+Z)?\b/g, (_, d: string) => formatLongDate(d));
}

/** "in 3 days", "2 hours ago". */
export function formatRelative(iso: string | undefined | null, now = Date.now()): string {
  const d = parse(iso);
  if (!d) return '';
  const diff = d.getTime() - now;
  const abs = Math.abs(diff);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 86400_000],
    ['month', 30 * 86400_000],
    ['day', 86400_000],
    ['hour', 3600_000],
    ['minute', 60_000],
  ];
  for (const [unit, ms] of units) if (abs >= ms) return relative.format(Math.round(diff / ms), unit);
  return relative.format(Math.round(diff / 1000), 'second');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "order-fulfilment" → "Order fulfilment". */
export function humanise(id: string): string {
  const s = id.replace(/[-_]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Splits "a, b ,c" into ["a","b","c"], dropping empties and duplicates. */
export function splitList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A country or language code (ISO 3166-1, BCP 47) as its name in the customer's own language. */
export function nameOf(type: 'region' | 'language', code: string): string {
  try {
    return new Intl.DisplayNames(undefined, { type }).of(code) ?? code;
  } catch {
    return code;
  }
}

const A_Z = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
// Codes Intl names that are not countries: groupings (EU, UN, the euro area), private use and unknown.
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO', 'AA']);
let countryList: [string, string][] | undefined;

/** Every country as [ISO 3166-1 alpha-2 code, name], sorted by name in the customer's language. */
export function countries(): [string, string][] {
  countryList ??= A_Z.flatMap((a) => A_Z.map((b) => a + b))
    .filter((c) => !NOT_COUNTRIES.has(c) && !c.startsWith('X') && !(c.startsWith('Q') && c !== 'QA'))
    .map((c): [string, string] => [c, nameOf('region', c)])
    .filter(([c, name]) => name !== c)
    .sort((x, y) => x[1].localeCompare(y[1]));
  return [...countryList];
}

const LANGUAGES = [
  'ar',
  'bg',
  'ca',
  'cs',
  'cy',
  'da',
  'de',
  'el',
  'en',
  'en-GB',
  'en-US',
  'es',
  'et',
  'eu',
  'fa',
  'fi',
  'fr',
  'ga',
  'gl',
  'he',
  'hi',
  'hr',
  'hu',
  'id',
  'is',
  'it',
  'ja',
  'ko',
  'lb',
  'lt',
  'lv',
  'mt',
  'nb',
  'nl',
  'pl',
  'pt',
  'pt-BR',
  'ro',
  'ru',
  'sk',
  'sl',
  'sq',
  'sr',
  'sv',
  'sw',
  'th',
  'tr',
  'uk',
  'ur',
  'vi',
  'zh',
];

/** Common languages as [BCP 47 tag, name], sorted by name in the customer's language. */
export function languages(): [string, string][] {
  return LANGUAGES.map((c): [string, string] => [c, nameOf('language', c)]).sort((x, y) => x[1].localeCompare(y[1]));
}
