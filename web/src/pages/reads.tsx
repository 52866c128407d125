import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, query } from '../api.ts';
import { navigate, useLocation } from '../router.ts';
import { humanise } from '../format.ts';
import type { FieldInfo, ReadEvent, RefusalGroup } from '../types.ts';
import {
  Badge,
  Button,
  DateTime,
  EmptyState,
  FieldChips,
  Loading,
  Link,
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

/** The filters, as they live in the address (?company=&field=&kind=&from=&to=), so a link can open them. */
const FILTERS = ['company', 'field', 'kind', 'from', 'to'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

const KINDS: [string, string][] = [
  ['read', 'Reads'],
  ['deposit', 'Records added'],
  ['refusal', 'Refusals'],
  ['approval', 'Automatic approvals'],
];

function filtersOf(search: URLSearchParams): Filters {
  const out: Filters = {};
  for (const k of FILTERS) {
    const v = search.get(k);
    if (v) out[k] = v;
  }
  return out;
}

/**
 * Who read what, when and why: every real company read and deposit, and every request the customer's criteria
 * decided for them, newest first; then refused attempts grouped per company and reason, so that a flood of
 * refusals cannot push a real read out of sight. Filtered on the server; the filters live in the address.
 */
export function ReadsPage() {
  const catalogue = useFieldCatalogue();
  const loc = useLocation();
  const filters = filtersOf(loc.search);
  const key = FILTERS.map((k) => filters[k] ?? '').join('|');
  const [companies, setCompanies] = useState<{ id: string; name: string }[]>([]);
  const [reads, setReads] = useState<ReadEvent[]>([]);
  const [refusals, setRefusals] = useState<RefusalGroup[]>([]);
  const [next, setNext] = useState<number>();
  const [state, setState] = useState<'loading' | 'ok' | 'missing' | 'more' | 'failed'>('loading');
  const [error, setError] = useState<ApiError>();

  async function load(before?: number) {
    setState(before === undefined ? 'loading' : 'more');
    setError(undefined);
    try {
      const page = await get<Page>(`/api/reads${query({ ...filters, before, limit: 50 })}`);
      setReads((r) => (before === undefined ? page.reads : [...r, ...page.reads]));
      if (before === undefined) setRefusals(page.refusals ?? []);
      setNext(page.next);
      setState('ok');
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, { detail: String(e) });
      setError(err);
      setState(before === undefined ? 'failed' : 'ok');
    }
  }

  useEffect(() => void load(), [key]);
  useEffect(() => {
    get<{ companies: { id: string; name: string }[] }>('/api/criteria/options').then(
      (o) => setCompanies(o.companies),
      () => setCompanies([]),
    );
  }, []);

  const change = (k: keyof Filters, v: string) => {
    const nextFilters = { ...filters, [k]: v || undefined };
    navigate(`/reads${query(nextFilters)}`, { replace: true });
  };
  const filtered = Object.keys(filters).length > 0;

  return (
    <>
      <PageHeader
        title="Activity"
        intro="Every time a company reads your data or adds to your vault, it is recorded here: who, which fields, when, and for what purpose. Requests your criteria refused or approved for you are listed too, and refused attempts are counted below, per company and reason."
      />
      <ActivityFilters
        filters={filters}
        companies={companies}
        reads={reads}
        catalogue={catalogue}
        onChange={change}
        onClear={() => navigate('/reads', { replace: true })}
      />
      {state === 'loading' ? (
        <Loading what="activity" />
      ) : state === 'failed' ? (
        <div class="card">
          <ProblemAlert error={error} />
          <Button onClick={() => void load()}>Retry</Button>
        </div>
      ) : !reads.length ? (
        <EmptyState title={filtered ? 'Nothing matches these filters' : 'No company has read your data yet'}>
          {filtered
            ? 'Try another company, field, kind or date range, or clear the filters.'
            : 'Reads appear here the moment they happen; refused attempts are listed below them.'}
        </EmptyState>
      ) : (
        <>
          <div class="table-wrap card">
            <table class="table table-stack">
              <caption class="visually-hidden">Your activity, newest first</caption>
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
      {state === 'ok' && refusals.length > 0 && <Refusals groups={refusals} />}
    </>
  );
}

function ActivityFilters(props: {
  filters: Filters;
  companies: { id: string; name: string }[];
  reads: ReadEvent[];
  catalogue?: FieldInfo[];
  onChange: (k: keyof Filters, v: string) => void;
  onClear: () => void;
}) {
  const f = props.filters;
  const companies = [...props.companies].sort((a, b) => a.name.localeCompare(b.name));
  // A link from a company card may name a company the list does not hold yet: keep it selectable, under the name
  // its reads carry if they came first.
  if (f.company && !companies.some((c) => c.id === f.company)) {
    const named = props.reads.find((r) => r.company.id === f.company)?.company.name;
    companies.unshift({ id: f.company, name: named ?? 'This company' });
  }
  return (
    <form class="card activity-filters" aria-label="Filter your activity" onSubmit={(e) => e.preventDefault()}>
      <div class="activity-filters-grid">
        <div class="form-row">
          <label for="filter-company">Company</label>
          <select
            id="filter-company"
            value={f.company ?? ''}
            onChange={(e) => props.onChange('company', e.currentTarget.value)}
          >
            <option value="">All companies</option>
            {companies.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div class="form-row">
          <label for="filter-field">Data</label>
          <select
            id="filter-field"
            value={f.field ?? ''}
            onChange={(e) => props.onChange('field', e.currentTarget.value)}
          >
            <option value="">All data</option>
            {(props.catalogue ?? []).map((c) => (
              <option key={c.name} value={c.name}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div class="form-row">
          <label for="filter-kind">Kind</label>
          <select id="filter-kind" value={f.kind ?? ''} onChange={(e) => props.onChange('kind', e.currentTarget.value)}>
            <option value="">Everything</option>
            {KINDS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="form-row">
          <label for="filter-from">From</label>
          <input
            id="filter-from"
            type="date"
            value={f.from ?? ''}
            onChange={(e) => props.onChange('from', e.currentTarget.value)}
          />
        </div>
        <div class="form-row">
          <label for="filter-to">Until</label>
          <input
            id="filter-to"
            type="date"
            value={f.to ?? ''}
            onChange={(e) => props.onChange('to', e.currentTarget.value)}
          />
        </div>
      </div>
      {Object.keys(f).length > 0 && (
        <Button variant="ghost" onClick={props.onClear}>
          Clear filters
        </Button>
      )}
    </form>
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
  'data.claim': 'Asked a question',
  'data.deposit': 'Added a record',
  'data.denied': 'Tried to access',
  'grant.denied': 'Asked, refused by your criteria',
  'grant.approved': 'Asked, approved by your criteria',
};

function ReadRow({ r, catalogue }: { r: ReadEvent; catalogue?: FieldInfo[] }) {
  const allowed = r.action === 'grant.approved' || (r.decision === 'allow' && r.action !== 'data.denied');
  return (
    <tr class={allowed ? undefined : 'row-refused'} data-action={r.action}>
      <td class="nowrap">
        <DateTime iso={r.time} />
      </td>
      <td class="cell-company">
        <strong>{r.company.label ?? r.company.name}</strong>
      </td>
      <td>
        <span class="read-what">{WHAT[r.action] ?? humanise(r.action)}</span>
        {r.learned && <span class="read-learned"> and {r.learned}</span>}
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
        {r.automatic && (
          <p class="small">
            <Link href="/settings#criteria">Change your criteria</Link>
          </p>
        )}
      </td>
    </tr>
  );
}
