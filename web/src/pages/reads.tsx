import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, query } from '../api.ts';
import { humanise } from '../format.ts';
import type { FieldInfo, ReadEvent, RefusalGroup } from '../types.ts';
import {
  Badge,
  Button,
  DateTime,
  EmptyState,
  FieldChips,
  Loading,
  PageHeader,
  ProblemAlert,
  Reasons,
  useFieldCatalogue,
} from '../ui.tsx';

interface Page {
  reads: ReadEvent[];
  refusals?: RefusalGroup[];
  next?: number;
}

/**
 * Who read what, when and why: every real company read and deposit, newest first, then refused attempts
 * grouped per company and reason, so that a flood of refusals cannot push a real read out of sight.
 */
export function ReadsPage() {
  const catalogue = useFieldCatalogue();
  const [reads, setReads] = useState<ReadEvent[]>([]);
  const [refusals, setRefusals] = useState<RefusalGroup[]>([]);
  const [next, setNext] = useState<number>();
  const [state, setState] = useState<'loading' | 'ok' | 'missing' | 'more'>('loading');
  const [error, setError] = useState<ApiError>();

  async function load(before?: number) {
    setState(before === undefined ? 'loading' : 'more');
    setError(undefined);
    try {
      const page = await get<Page>(`/api/reads${query({ before, limit: 50 })}`);
      setReads((r) => (before === undefined ? page.reads : [...r, ...page.reads]));
      if (before === undefined) setRefusals(page.refusals ?? []);
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
      <PageHeader
        title="Activity"
        intro="Every time a company reads your data or adds to your vault, it is recorded here: who, which fields, when, and for what purpose. Attempts the vault refused are counted below, per company and reason."
      />
      {state === 'loading' ? (
        <Loading what="activity" />
      ) : !reads.length ? (
        error ? (
          <ProblemAlert error={error} />
        ) : (
          <EmptyState title="No company has read your data yet">
            Reads appear here the moment they happen; refused attempts are listed below them.
          </EmptyState>
        )
      ) : (
        <>
          <div class="table-wrap card">
            <table class="table table-stack">
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
                  <ReadRow key={r.seq} r={r} catalogue={catalogue} />
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
      {state !== 'loading' && refusals.length > 0 && <Refusals groups={refusals} />}
    </>
  );
}

/** Refused attempts, one line per company and reason: "Northwind was refused 3,000 times between … and …". */
function Refusals({ groups }: { groups: RefusalGroup[] }) {
  return (
    <section class="card refusals" aria-labelledby="refusals-title">
      <h2 id="refusals-title">Refused attempts</h2>
      <ul class="refusal-groups">
        {groups.map((g) => (
          <li key={`${g.company.id}|${g.reason.code}`} class="refusal-group" data-reason={g.reason.code}>
            <strong>{g.company.name}</strong> was refused {g.count.toLocaleString('en')}{' '}
            {g.count === 1 ? 'time' : 'times'}{' '}
            {g.count === 1 ? (
              <>
                at <DateTime iso={g.last} />
              </>
            ) : (
              <>
                between <DateTime iso={g.first} /> and <DateTime iso={g.last} />
              </>
            )}
            : <span class="refusal-reason">{g.reason.message}</span> <Badge tone="bad">Refused</Badge>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** What the company did: a read, a deposit into the vault, or an attempt the vault refused. */
const WHAT: Record<string, string> = {
  'data.read': 'Read',
  'data.deposit': 'Added a record',
  'data.denied': 'Tried to access',
};

function ReadRow({ r, catalogue }: { r: ReadEvent; catalogue?: FieldInfo[] }) {
  const allowed = r.decision === 'allow' && r.action !== 'data.denied';
  return (
    <tr class={allowed ? undefined : 'row-refused'} data-action={r.action}>
      <td class="nowrap">
        <DateTime iso={r.time} />
      </td>
      <td class="cell-company">
        <strong>{r.company.name}</strong>
      </td>
      <td>
        <span class="read-what">{WHAT[r.action] ?? humanise(r.action)}</span>
        {/* A deposit names no profile field: the company added a record of its own. */}
        {r.fields.length > 0 && (
          <FieldChips
            names={r.fields}
            catalogue={catalogue}
            sensitive={(n) => !!catalogue?.find((f) => f.name === n)?.sensitive}
          />
        )}
      </td>
      <td class="nowrap" data-label="Purpose">
        {r.purpose ? humanise(r.purpose) : <span class="muted">—</span>}
      </td>
      <td>
        {allowed ? <Badge tone="good">Allowed</Badge> : <Badge tone="bad">Refused</Badge>}
        {!allowed && r.reasons && r.reasons.length > 0 && <Reasons reasons={r.reasons} />}
      </td>
    </tr>
  );
}
