import { humanise } from './format.ts';

/**
 * Value tags are the kebab-case commitments companies declare in their terms and customers may require in
 * their criteria. This is the one table that says them in words; a tag not listed here is still shown,
 * spelled out from its id.
 */
const VALUE_TAGS: Record<string, string> = {
  'eu-hosting': 'Data hosted in the EU',
  'no-resale': 'Never sells your data',
  'no-ads': 'No advertising with your data',
  'no-profiling': 'No profiling of you',
  'no-tracking': 'No tracking across sites',
  'open-source': 'Publishes its source code',
  'delete-on-request': 'Deletes your data when you ask',
  'data-minimisation': 'Collects only what it needs',
  'independent-audit': 'Audited independently',
  'b-corp': 'Certified B Corporation',
  'carbon-neutral': 'Carbon-neutral operations',
  'fair-trade': 'Fair trade',
};

export function valueTagLabel(tag: string): string {
  return VALUE_TAGS[tag] ?? humanise(tag);
}

/** A purpose id as it reads inside a sentence: "order-fulfilment" → "order fulfilment". */
export function purposeWords(id: string): string {
  return humanise(id).toLowerCase();
}
