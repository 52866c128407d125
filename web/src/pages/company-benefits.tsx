import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { formatLongDate, plural } from '../format.ts';
import type { BenefitEntry, FieldInfo, GrantCompany } from '../types.ts';
import { Button, FieldChips, ProblemAlert } from '../ui.tsx';

const KIND: Record<BenefitEntry['kind'], string> = {
  discount: 'Discount',
  payment: 'Payment',
  service: 'Service',
  other: 'Other benefit',
};

const money = (amount: string, currency: string) => {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
};

/**
 * Mutuality on the company's card: what the customer gave (reads, fields, records, since when) beside what came
 * back (confirmed benefits and their totals per currency), with the entries that wait for an answer.
 */
export function GaveAndGot(props: {
  info?: GrantCompany;
  entries: BenefitEntry[];
  catalogue?: FieldInfo[];
  onChange: () => void;
}) {
  const { info, entries } = props;
  const b = info?.benefits;
  const waiting = entries.filter((e) => e.status === 'recorded');
  return (
    <div class="gave-got">
      <section aria-label="What you gave">
        <h4>What you gave</h4>
        <p>
          {info?.readsTotal ? plural(info.readsTotal, 'read') : 'No reads'}
          {info?.firstReadAt ? ` since ${formatLongDate(info.firstReadAt)}` : ''}
          {info?.recordsDeposited ? `; ${plural(info.recordsDeposited, 'record')} added to your vault` : ''}
        </p>
        <FieldChips names={info?.fieldsRead ?? []} catalogue={props.catalogue} />
      </section>
      <section aria-label="What you got back">
        <h4>What you got back</h4>
        <p>
          {b?.confirmed ? `${plural(b.confirmed, 'confirmed benefit')}` : 'No confirmed benefit yet'}
          {b?.totals.length ? `: ${b.totals.map((t) => money(t.amount, t.currency)).join(', ')}` : ''}
          {b?.disputed ? `; ${plural(b.disputed, 'disputed entry', 'disputed entries')}` : ''}
        </p>
        {waiting.length > 0 && (
          <ul class="benefit-entries">
            {waiting.map((e) => (
              <BenefitToAnswer key={e.id} entry={e} onChange={props.onChange} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function BenefitToAnswer(props: { entry: BenefitEntry; onChange: () => void }) {
  const e = props.entry;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const answer = async (a: 'confirmed' | 'disputed') => {
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', `/api/benefits/${e.id}/answer`, { answer: a });
      props.onChange();
    } catch (err) {
      setError(err instanceof ApiError ? err : undefined);
    } finally {
      setBusy(false);
    }
  };
  const what = `${KIND[e.kind]}${e.amount && e.currency ? ` of ${money(e.amount, e.currency)}` : ''}`;
  return (
    <li class="benefit-entry">
      <p>
        <strong>{what}</strong> on {formatLongDate(e.createdAt)}
        {e.reference ? <span class="muted"> (reference: {e.reference})</span> : null}
      </p>
      <ProblemAlert error={error} />
      <div class="actions">
        <Button busy={busy} onClick={() => void answer('confirmed')} aria-label={`Confirm: ${what}`}>
          Confirm
        </Button>
        <Button variant="ghost" busy={busy} onClick={() => void answer('disputed')} aria-label={`Dispute: ${what}`}>
          Dispute
        </Button>
      </div>
    </li>
  );
}
