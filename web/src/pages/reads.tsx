import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, query } from '../api.ts';
import { humanise } from '../format.ts';
import type { ReadEvent } from '../types.ts';
import { Badge, Button, DateTime, EmptyState, FieldChips, Loading, PageHeader, ProblemAlert, useFieldCatalogue } from '../ui.tsx';

interface Page {
  reads: ReadEvent[];
  next?: number;
}

/** Who read what, when and why: every company read of the customer's data, newest first. */
export function ReadsPage() {
  const catalogue = useFieldCatalogue();
  const [reads, setReads] = useState<ReadEvent[]>([]);
  const [next, setNext] = useState<number>();
  const [state, setState] = useState<'loading' | 'ok' | 'missing' | 'more'>('loading');
  const [error, setError] = useState<ApiError>();

  async function load(before?: number) {
    setState(before === undefined ? 'loading' : 'more');
    setError(undefined);
    try {
      const page = await get<Page>(`/api/reads${query({ before, limit: 50 })}`);
      setReads((r) => (before === undefined ? page.reads : [...r, ...page.reads]));
      setNext(page.next);
      setState('ok');
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, { detail: String(e) });
      if (err.status === 404 && before === undefined) setState('missing');
      else {
        setError(err);
        setState('ok');
      }
    }
  }

  useEffect(() => void load(), []);

  return (
    <>
      <PageHeader title="Activity" intro="Every time a company reads your data or adds to your vault, it is recorded here: who, which fields, when, and for what purpose." />
      {state === 'loading' ? (
        <Loading what="activity" />
      ) : !reads.length ? (
        error ? (
          <ProblemAlert error={error} />
        ) : (
          <EmptyState title="No company has read your data yet">Reads appear here the moment they happen, including refused attempts.</EmptyState>
        )
      ) : (
        <>
          <div class="table-wrap card">
            <table class="table">
              <caption class="visually-hidden">Reads of your data, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Company</th>
                  <th scope="col">What</th>
                  <th scope="col">Purpose</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {reads.map((r) => (
                  <tr key={r.seq}>
                    <td class="nowrap">
                      <DateTime iso={r.time} />
                    </td>
                    <td>{r.company.name}</td>
                    <td>
                      <span class="visually-hidden">{r.action === 'deposit' ? 'Added' : 'Read'}: </span>
                      {r.action === 'deposit' && <span class="muted">Added </span>}
                      <FieldChips names={r.fields} catalogue={catalogue} />
                    </td>
                    <td>{humanise(r.purpose)}</td>
                    <td>{r.decision === 'allow' ? <Badge tone="good">Allowed</Badge> : <Badge tone="bad">Refused</Badge>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ProblemAlert error={error} />
          {next !== undefined && (
            <div class="more">
              <Button onClick={() => void load(next)} busy={state === 'more'}>
                Show older activity
              </Button>
            </div>
          )}
        </>
      )}
    </>
  );
}
