import VALUE_TAGS from '../../policies/value-tags.json' with { type: 'json' };
import { humanise } from './format.ts';

/**
 * Value tags are the kebab-case commitments companies declare in their terms and customers may require in
 * their criteria. policies/value-tags.json is the one table that says them in words, read by this dashboard
 * and by the policy's messages (server/policy/words.ts); a tag not listed there is still shown, spelled out
 * from its id.
 */
const LABELS: Record<string, string> = VALUE_TAGS;

export function valueTagLabel(tag: string): string {
  return LABELS[tag] ?? humanise(tag);
}

/** A purpose id as it reads inside a sentence: "order-fulfilment" → "order fulfilment". */
export function purposeWords(id: string): string {
  return humanise(id).toLowerCase();
}
