import { z } from 'zod';

/** ISO 4217 codes as the runtime's ICU knows them (Intl.supportedValuesOf, ECMA-402 §6.3). */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** The largest amount one entry may state, in major units (SECURITY.md, "The benefit ledger"). */
export const MAX_AMOUNT = 1_000_000_000;

export const currencySchema = z
  .string()
  .refine((c) => CURRENCIES.has(c), 'expected an ISO 4217 currency code such as "EUR"');

/** A decimal amount as text ("4.50"): a float would round money, and the text carries its own precision. */
export const amountSchema = z.string().regex(/^\d{1,10}(\.\d{1,4})?$/, 'expected a decimal amount such as "4.50"');

/** How many digits after the point the currency has (EUR 2, JPY 0, BHD 3). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "4.50" EUR -> 450; undefined when the amount has more decimals than the currency or exceeds MAX_AMOUNT. */
export function toMinor(amount: string, currency: string): number | undefined {
  const digits = minorDigits(currency);
  const [whole = '0', frac = ''] = amount.split('.');
  if (frac.length > digits || Number(whole) > MAX_AMOUNT) return undefined;
  return Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
}

/** 450 EUR -> "4.50". */
export function fromMinor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(minor);
  const s = String(minor).padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}
