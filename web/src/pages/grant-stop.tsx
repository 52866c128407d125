import { humanise, plural } from '../format.ts';
import type { FieldInfo, Grant, GrantCompany } from '../types.ts';
import { labelOf } from '../ui.tsx';

/** A list in words: "A", "A and B", "A, B and C". */
function inWords(items: string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * What stopping means, said before it happens: what the company already holds, how long its terms say it
 * keeps it, how to ask it to delete, and what may stop working. Revoking ends future use only.
 */
export function StopExplanation(props: {
  grant: Grant;
  company?: GrantCompany;
  name: string;
  catalogue?: FieldInfo[];
}) {
  const { grant: g, company: c, name } = props;
  const held = (c?.fieldsRead ?? []).map((f) => labelOf(props.catalogue, f).toLowerCase());
  const purpose = humanise(g.purpose).toLowerCase();
  return (
    <div class="stop-explained">
      <p>
        {name} will not be able to use your {inWords(g.fields.map((f) => labelOf(props.catalogue, f).toLowerCase()))}{' '}
        for {purpose} from its next request on.
      </p>
      <h3>What {name} already has</h3>
      <p>
        {held.length
          ? `It has read your ${inWords(held)}. Revoking does not take back what it already has.`
          : 'It has not read any of your data. Nothing has left your vault for it.'}
      </p>
      {held.length > 0 && (
        <>
          <h3>How long it keeps it</h3>
          <p>
            {typeof c?.retentionDays === 'number'
              ? `Its terms say it keeps your data for ${plural(c.retentionDays, 'day')} after it receives it.`
              : 'Its terms do not say how long it keeps your data.'}
          </p>
          <h3>How to ask it to delete it</h3>
          <p>
            {c?.contact ? (
              <>
                Write to <span class="break">{c.contact}</span> and ask {name} to delete your data. You have the right
                to ask.
              </>
            ) : (
              `Its terms give no contact. Ask ${name} through its website or customer service to delete your data; you have the right to ask.`
            )}
          </p>
        </>
      )}
      <h3>What may stop</h3>
      <p>
        Whatever {name} does for you with this data for {purpose} may stop working, and any benefit it offers for it may
        end. To share again, {name} has to ask you again.
      </p>
    </div>
  );
}
