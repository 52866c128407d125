/**
 * Company names are shown to customers on the consent screen, in their grants, activity, inbox and
 * receipts, so a name must not be able to pass for another company's (SECURITY.md, "Company names").
 * Two checks, both pure:
 * - `nameProblem`: characters that are invisible or reorder text (Unicode TR9 bidi controls, TR39
 *   §3.1 default-ignorables), and names that mix Latin, Greek and Cyrillic letters (TR39 §5.2).
 * - `skeleton`: a comparison key in the spirit of TR39 §4: two names with the same skeleton look
 *   alike, and a company may not take a name whose skeleton another company has, or ever had.
 */

import { remove as withoutConfusables } from 'confusables';

// Format characters (bidi embeddings, overrides and isolates, zero-width joiners and spaces, the BOM,
// tags), controls, private-use, unassigned and surrogate code points, line and paragraph separators,
// and the invisible fillers that Unicode lists as letters or marks (Hangul fillers, braille blank,
// variation selectors, the combining grapheme joiner, Khmer inherent vowels, Mongolian selectors).
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\u115f\u1160\u2800\u3164\uffa0]/u;
// Invisible combining marks, kept out of a character class (where they would seem to combine with it).
const INVISIBLE_MARK = /\u034f|\u17b4|\u17b5|\p{Variation_Selector}/u;
// Any space other than U+0020 (no-break, en/em, ideographic, ...): one kind of space is enough.
const ODD_SPACE = /[^\S ]/u;
// Scripts whose letters pass for Latin ones: a name may use one of them, never two together (TR39 §5.2).
const SCRIPTS = [
  /\p{Script=Latin}/u,
  /\p{Script=Greek}/u,
  /\p{Script=Cyrillic}/u,
  /\p{Script=Armenian}/u,
  /\p{Script=Cherokee}/u,
];

/**
 * What the dashboard calls itself ("Consent vault" in its header and page titles): a company whose name carries
 * it ("Your vault", "Vault support") could pass for the platform on the consent screen and in the inbox. Compared
 * by skeleton, so spacing, case and look-alikes do not get round it; `PLATFORM_WORDS` anywhere in the name,
 * `PLATFORM_NAMES` as the whole name (SECURITY.md, "Company names").
 */
const PLATFORM_WORDS = ['vault'];
const PLATFORM_NAMES = ['consent', 'support', 'helpdesk', 'security', 'admin', 'administrator', 'dashboard', 'inbox'];

/** Why a name cannot be used, or undefined when its characters are acceptable. */
export function nameProblem(name: string): string | undefined {
  if (INVISIBLE.test(name) || INVISIBLE_MARK.test(name))
    return 'must not contain invisible, control or text-direction characters';
  if (ODD_SPACE.test(name)) return 'may separate words only with ordinary spaces';
  if (SCRIPTS.filter((s) => s.test(name)).length > 1)
    return 'must not mix Latin, Greek, Cyrillic, Armenian or Cherokee letters';
  const key = skeleton(name);
  if (key === '') return 'must contain at least one letter or digit';
  if (PLATFORM_WORDS.some((w) => key.includes(skeleton(w))) || PLATFORM_NAMES.some((n) => key === skeleton(n)))
    return 'must not name or imitate the vault itself';
  return undefined;
}

// Look-alikes mapped onto one representative. Greek and Cyrillic capitals first map to the Latin capital
// they look like (Greek Η is H, though its small η looks like n); after case folding, small letters map to
// the Latin letter they look like, and 0/1/i/l/| collapse as TR39's confusables do for I, l and 1.
const pairs = (lines: string[]) =>
  new Map<string, string>(
    lines
      .join(' ')
      .split(' ')
      .map((pair): [string, string] => [pair[0]!, pair.slice(1)]),
  );
const CAPITALS = pairs([
  'АA ВB ЕE ЅS ІI ЈJ КK МM НH ОO РP СC ТT УY ХX',
  'ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX ϹC',
]);
const CONFUSABLE = pairs([
  'аa бb вb гr дd еe ёe з3 иu кk мm нh оo пn рp сc тt уy хx ьb ѕs іl їl јj ԁd ԛq ԝw һh ӏl ѵv үy',
  'αa βb γy δd εe ζz ηn ιl κk μu νv οo ρp σo ςc τt υu χx ωw ϲc ϳj',
  '0o 1l il |l ıl łl øo đd ħh $s @a ßss æae œoe',
]);
// Letter pairs that read as one letter at a glance.
const PAIRS: Array<[RegExp, string]> = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/cl/g, 'd'],
];

/**
 * The comparison key of a name: NFKC, case-folded, accents and marks removed, look-alikes mapped, spaces
 * and punctuation dropped. Deliberately coarse ("Ali" and "All" collide): a refused name can be reworded.
 */
export function skeleton(name: string): string {
  // Unicode's confusables data first (small capitals, Armenian, Cherokee, mathematical letters...), then
  // the tighter mappings below. Before NFKC as well as after: NFKC turns some look-alikes (the lunate Ϲ) into letters that are not.
  const capitals = (text: string) => [...text].map((ch) => CAPITALS.get(ch) ?? ch).join('');
  const folded = capitals(capitals(withoutConfusables(name)).normalize('NFKC'))
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '');
  let out = '';
  for (const ch of folded) out += CONFUSABLE.get(ch) ?? ch;
  out = out.replace(/[^\p{L}\p{N}]/gu, '');
  for (const [pair, one] of PAIRS) out = out.replace(pair, one);
  return out;
}
