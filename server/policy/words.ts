import VALUE_TAGS from '../../policies/value-tags.json' with { type: 'json' };

/**
 * How a fact reads in a message the customer sees: value tags in words from policies/value-tags.json (the one
 * table the dashboard reads too), purposes without their dashes. Unknown tags are spelled out from their id,
 * as the dashboard does. The audit trail's form of a message (compileAuditTemplate) never goes through here.
 */
const LABELS: Record<string, string> = VALUE_TAGS;

const spelled = (id: string) => {
  const s = id.replace(/[-_]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
};

export const valueTagWords = (tag: string): string => `“${LABELS[tag] ?? spelled(tag)}”`;

/** Facts holding value tags, whose customer-facing form is in words. */
const IN_WORDS: Record<string, (v: string) => string> = {
  'company.terms.valueTags': valueTagWords,
  'customer.criteria.requiredValueTags': valueTagWords,
};

export function factInWords(path: string): ((v: string) => string) | undefined {
  return IN_WORDS[path];
}
