import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { datesInWords, formatDateTime } from '../format.ts';
import { Button, Card, EmptyState, PageHeader, ProblemAlert, ResourceView, useResource } from '../ui.tsx';

/** GET /api/records: one record as the customer's page shows it. */
interface MyRecord {
  id: string;
  category: string;
  categoryLabel: string;
  description: string;
  source: { company: string; name: string; device?: string; product?: string; label: string };
  depositedAt: string;
  hidden: boolean;
  readers: string[];
}

/**
 * The customer's records (issue 15): what companies and devices deposited, grouped by category and source,
 * in words, with who can read each; hide one from all sharing, or delete it.
 */
export function RecordsPage() {
  const [res, reload] = useResource<{ records: MyRecord[] }>('/api/records');
  return (
    <>
      <PageHeader
        title="Your records"
        intro="What companies and your devices recorded about what you did with them. You decide which other companies may read them."
      />
      <ResourceView res={res} what="your records" empty={<EmptyState title="No records yet" />} onRetry={reload}>
        {(data) =>
          data.records.length === 0 ? (
            <EmptyState title="No records yet" />
          ) : (
            <RecordGroups records={data.records} onChange={reload} />
          )
        }
      </ResourceView>
    </>
  );
}

function RecordGroups({ records, onChange }: { records: MyRecord[]; onChange: () => void }) {
  const groups = new Map<string, MyRecord[]>();
  for (const r of records) {
    const key = `${r.categoryLabel} from ${r.source.name}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return (
    <>
      {[...groups].map(([title, list]) => (
        <Card key={title} title={title}>
          <ul class="records">
            {list.map((r) => (
              <RecordItem key={r.id} record={r} onChange={onChange} />
            ))}
          </ul>
        </Card>
      ))}
    </>
  );
}

function RecordItem({ record: r, onChange }: { record: MyRecord; onChange: () => void }) {
  const [busy, setBusy] = useState(false);
  // Deleting destroys the sealed record for good: the customer says so twice (the audit keeps only that it existed).
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<ApiError | string>();
  const act = async (method: string, path: string, body?: unknown) => {
    setBusy(true);
    setError(undefined);
    try {
      await api(method, path, body);
      onChange();
    } catch (e) {
      setError(e instanceof ApiError ? e : String(e));
    } finally {
      setBusy(false);
    }
  };
  const readers = r.hidden
    ? 'Hidden: no company can read it.'
    : r.readers.length
      ? `Can be read by ${r.readers.join(', ')}.`
      : 'No other company can read it.';
  return (
    <li>
      <p>{datesInWords(r.description)}</p>
      <p class="hint">
        Recorded {r.source.label} on {formatDateTime(r.depositedAt)}. {readers}
      </p>
      <ProblemAlert error={error} />
      {confirming ? (
        <div class="alert alert-warn" role="group" aria-label="Confirm deletion">
          <p>Delete this record for good? No company will be able to read it again, and it cannot be brought back.</p>
          <Button variant="danger" busy={busy} onClick={() => act('DELETE', `/api/records/${r.id}`)}>
            Delete for good
          </Button>{' '}
          <Button variant="secondary" disabled={busy} onClick={() => setConfirming(false)}>
            Keep it
          </Button>
        </div>
      ) : (
        <>
          <Button
            variant="secondary"
            busy={busy}
            onClick={() => act('PUT', `/api/records/${r.id}/hidden`, { hidden: !r.hidden })}
          >
            {r.hidden ? 'Share again' : 'Hide from sharing'}
          </Button>{' '}
          <Button variant="danger" disabled={busy} onClick={() => setConfirming(true)}>
            Delete
          </Button>
        </>
      )}
    </li>
  );
}
