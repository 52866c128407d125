import { randomInt } from 'node:crypto';

/**
 * User codes (RFC 8628 §6.1): 8 characters from 20 consonants without look-alikes or vowels (no words can
 * be spelled), shown as "BCDF-GHJK". 20^8 ≈ 2^34.6 codes: with entry limited per session and per address
 * (SECURITY.md "Connected products") a guess is hopeless within a code's 10 minutes.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

export function newUserCode(): string {
  let s = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) s += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

/**
 * What a person typed, as the code it means (RFC 8628 §6.1: case and dashes or spaces do not matter), or
 * undefined when it cannot be a user code at all.
 */
export function normalizeUserCode(typed: string): string | undefined {
  const s = typed.toUpperCase().replace(/[\s-]/g, '');
  if (s.length !== USER_CODE_LENGTH || [...s].some((c) => !USER_CODE_ALPHABET.includes(c))) return undefined;
  return s;
}
