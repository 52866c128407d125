import { formatLongDate } from '../format.ts';
import { purposeWords, valueTagLabel } from '../labels.ts';
import type { InboxFacts } from '../../../server/customers/inbox.ts';
import type { FieldInfo, InboxMessage } from '../types.ts';
import { labelOf } from '../ui.tsx';

/** The closed set of ways new terms can be worse (server/grants/terms-change.ts, TermsWorsening). */
type Change =
  | { kind: 'retention-longer'; from: number; to: number }
  | { kind: 'sharing-added' | 'sharing-undisclosed' | 'benefit-removed' }
  | { kind: 'purposes-added'; purposes: string[] }
  | { kind: 'commitments-dropped'; commitments: string[] };

const ISO_DATE = /\b(\d{4}-\d{2}-\d{2})(T[\d:.]+Z)?\b/g;
const list = (items: string[]) => new Intl.ListFormat(undefined, { type: 'conjunction' }).format(items);

function changeWords(c: Change): string {
  switch (c.kind) {
    case 'retention-longer':
      return `it now keeps your data for ${c.to} days instead of ${c.from}`;
    case 'sharing-added':
      return 'it now shares your data with others';
    case 'sharing-undisclosed':
      return 'it no longer says with whom it shares your data';
    case 'benefit-removed':
      return 'it no longer gives you anything in return';
    case 'purposes-added':
      return `it now declares more purposes: ${list(c.purposes.map(purposeWords))}`;
    case 'commitments-dropped':
      return `it dropped its commitments: ${list(c.commitments.map((t) => `“${valueTagLabel(t)}”`))}`;
  }
}

/**
 * A message's title and text in words, dates in the customer's locale. Messages stored with their facts are
 * said again from them; older ones keep their stored sentence, with any ISO date in it re-formatted.
 */
export function messageWords(m: InboxMessage, catalogue: FieldInfo[] | undefined): { title: string; text: string } {
  const f = m.body.facts as InboxFacts | undefined;
  const fallback = { title: m.body.title, text: m.body.text.replace(ISO_DATE, (_, d: string) => formatLongDate(d)) };
  if (!f || typeof f.company !== 'string') return fallback;
  const name = f.company;
  // A grant of claims or records only has no field: say what it covers, or plainly "your data".
  const items = [
    ...(f.fields ?? []).map((n) => labelOf(catalogue, n).toLowerCase()),
    ...(f.records?.length ? [`records (${list(f.records)})`] : []),
  ];
  const what = items.length ? list(items) : 'data';
  const why = f.purpose ? purposeWords(f.purpose) : '';
  const until = f.until ? formatLongDate(f.until) : '';
  const reads = f.actions?.includes('read') ?? true;
  const deposits = f.actions?.includes('deposit') ?? false;
  const answers = f.claims?.length ? 'get yes/no answers about you' : '';
  const readWhat = list([items.length || !answers ? `read your ${what}` : '', answers].filter(Boolean));
  const depositWhat = [...(f.fields ?? []).map((n) => labelOf(catalogue, n).toLowerCase()), ...(f.records ?? [])];
  const may =
    reads && deposits
      ? `${readWhat} and add records to your vault`
      : reads
        ? readWhat
        : `add records${depositWhat.length ? ` (${list(depositWhat)})` : ''} to your vault`;
  const cannotRead = reads ? '' : ' It cannot read your data.';
  const reason = (f.reasons ?? []).map((r) => r.replace(/\.$/, '')).join('. ');
  switch (m.kind) {
    case 'grant.approved':
      return {
        title: `${name}: access granted${f.autoApproved ? ' automatically' : ''}`,
        text: `${name} may ${may} for ${why} until ${until}.${cannotRead}${f.autoApproved ? ' Your auto-approval criteria granted it without asking you.' : ''}${m.body.receiptId ? ' Your signed receipt is attached.' : ''}`,
      };
    case 'grant.narrowed':
      return {
        title: `${name}: access narrowed`,
        text: `${name} may now only ${may} for ${why}, until ${until}.${cannotRead}`,
      };
    case 'grant.expired':
      return { title: `${name}: access ended`, text: `${name}'s access to your ${what} for ${why} ended on ${until}.` };
    case 'grant.suspended':
      return {
        title: `${name}: access suspended`,
        text: `${name} can no longer use your data for ${why}.${reason ? ` ${reason}.` : ''} You can re-approve it under the new terms, or let it lapse.`,
      };
    case 'grant.revoked':
      return {
        title: `${name}: access revoked`,
        text: f.byCustomer
          ? `You revoked ${name}'s access to your ${what} for ${why}.`
          : `${name}'s access for ${why} was revoked.${reason ? ` ${reason}.` : ''}`,
      };
    case 'grant.terms-worse': {
      const changes = Array.isArray(m.body.changes) ? (m.body.changes as Change[]).map(changeWords) : [];
      if (!changes.length) return fallback;
      return {
        title: `${name} changed its terms`,
        text: `${name} changed its terms: ${changes.join('; ')}. Its access for ${why} carries on under the new terms unless you revoke it.`,
      };
    }
    case 'request.refused':
      return {
        title: `${name}'s request was refused by your criteria`,
        text: `${name} asked for your ${what} for ${why}. The vault refused it for you: ${(f.reasons ?? []).join(' ')}`,
      };
    case 'grant.reminder': {
      const times = f.reads === 1 ? 'once' : `${f.reads ?? 0} times`;
      const since = f.since ? ` since ${formatLongDate(f.since)}` : '';
      return {
        title: `${name} still has access to your data`,
        text: `${name} may still ${may} for ${why}, until ${until}. It read your data ${times}${since}.${cannotRead}`,
      };
    }
    case 'grant.expiring':
      return {
        title: `${name}: access ends on ${until}`,
        text: `${name}'s access to your ${what} for ${why} ends on ${until}. Renew it, or let it end and ${name} will be asked to delete what it received.`,
      };
    case 'deletion.overdue':
      return {
        title: `${name} has not confirmed deletion`,
        text: `${name} had to delete what it received from you (your ${what}) by ${f.dueAt ? formatLongDate(f.dueAt) : 'its deadline'} and has not confirmed it. Auditors see this too.`,
      };
    case 'deletion.confirmed':
      return {
        title: `${name} deleted your data`,
        text: `${name} confirmed that it deleted what it received (your ${what}) under a grant that ended.`,
      };
    case 'request.pending':
      return {
        title: `${name} asks for access`,
        text: `${name} asks for access to your data. Review it in your inbox.`,
      };
    case 'records.full': {
      const limit = (f.limit ?? 0).toLocaleString();
      return {
        title: 'Your vault is full of records',
        text: `Your vault now holds ${limit} records, the most it keeps; the last came from ${name}. Companies cannot add more until you delete some on your Records page.`,
      };
    }
    default:
      return fallback;
  }
}
