import { AUDIT_ACTIONS } from '../../../server/audit/chain/event.ts';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, get, query, saveBlob } from '../api.ts';
import { plural } from '../format.ts';
import type { AuditEvent, Checkpoint } from '../types.ts';
import {
  Badge,
  Button,
  Card,
  DateTime,
  EmptyState,
  ErrorState,
  Loading,
  Notice,
  PageHeader,
  ProblemAlert,
  Reasons,
  useResource,
} from '../ui.tsx';

// The auditor's action filter offers every kind of event the trail records: the server's own list.
const ACTIONS = AUDIT_ACTIONS;

interface Filters {
  from: string;
  to: string;
  company: string;
  customer: string;
  action: string;
  decision: string;
  limit: string;
}

const EMPTY: Filters = { from: '', to: '', company: '', customer: '', action: '', decision: '', limit: '100' };

/** datetime-local values are local wall-clock time; the API wants ISO 8601 instants. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function filterParams(f: Filters) {
  return {
    from: toIso(f.from),
    to: toIso(f.to),
    company: f.company.trim(),
    customer: f.customer.trim(),
    action: f.action,
    decision: f.decision,
  };
}

/** The auditor's view of the hash-chained log: search, export with a checkpoint, sign checkpoints. */
export function AuditorPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [next, setNext] = useState<number>();
  const [state, setState] = useState<'loading' | 'ok' | 'missing' | 'more'>('loading');
  const [error, setError] = useState<ApiError>();

  /** A first page for filters `f`, or the page of events older than seq `before` (the API's cursor). */
  async function load(f: Filters, before?: number) {
    setState(before === undefined ? 'loading' : 'more');
    setError(undefined);
    try {
      const page = await get<{ events: AuditEvent[]; companies?: Record<string, string>; next?: number }>(
        `/api/audit/events${query({ ...filterParams(f), limit: f.limit || 100, before })}`,
      );
      setEvents((e) => (before === undefined ? page.events : [...e, ...page.events]));
      setNames((n) => ({ ...n, ...page.companies }));
      setNext(page.next);
      // Exports follow the last search that the server accepted, never filters it refused.
      if (before === undefined) setApplied(f);
      setState('ok');
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, { detail: String(e) });
      if (before === undefined) {
        setEvents([]);
        setNext(undefined);
      }
      if (err.status === 404 && before === undefined) setState('missing');
      else {
        setError(err);
        setState('ok');
      }
    }
  }

  useEffect(() => void load(EMPTY), []);

  const set = (k: keyof Filters) => (e: Event) =>
    setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const exportQuery = (format: 'jsonl' | 'csv') => `/api/audit/export${query({ format, ...filterParams(applied) })}`;

  return (
    <>
      <PageHeader
        title="Audit log"
        intro="Every company read, deposit, denial and grant change, in one hash-chained log. Export it with its signed checkpoint and verify it offline."
      />
      <Card title="Search" id="filters">
        <form
          class="filters"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void load(draft);
          }}
        >
          <div class="form-row">
            <label for="f-from">From</label>
            <input id="f-from" type="datetime-local" value={draft.from} onInput={set('from')} />
          </div>
          <div class="form-row">
            <label for="f-to">To</label>
            <input id="f-to" type="datetime-local" value={draft.to} onInput={set('to')} />
          </div>
          <div class="form-row">
            <label for="f-company">Company id</label>
            <input id="f-company" type="text" value={draft.company} onInput={set('company')} autoComplete="off" />
          </div>
          <div class="form-row">
            <label for="f-customer">Customer id</label>
            <input id="f-customer" type="text" value={draft.customer} onInput={set('customer')} autoComplete="off" />
          </div>
          <div class="form-row">
            <label for="f-action">Action</label>
            <select id="f-action" value={draft.action} onChange={set('action')}>
              <option value="">Any action</option>
              {ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <div class="form-row">
            <label for="f-decision">Decision</label>
            <select id="f-decision" value={draft.decision} onChange={set('decision')}>
              <option value="">Any decision</option>
              <option value="allow">Allowed</option>
              <option value="deny">Denied</option>
            </select>
          </div>
          <div class="form-row">
            <label for="f-limit">Rows per page</label>
            <select id="f-limit" value={draft.limit} onChange={set('limit')}>
              {['50', '100', '250', '500'].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <div class="filters-actions">
            <Button type="submit" variant="primary" busy={state === 'loading'}>
              Search
            </Button>
            <Button
              onClick={() => {
                setDraft(EMPTY);
                void load(EMPTY);
              }}
            >
              Reset
            </Button>
          </div>
        </form>
      </Card>

      <Card
        title="Events"
        id="events"
        actions={
          <div class="export-links">
            <a class="btn btn-secondary" href={exportQuery('jsonl')} download>
              Export JSON Lines
            </a>
            <a class="btn btn-secondary" href={exportQuery('csv')} download>
              Export CSV
            </a>
          </div>
        }
      >
        <p class="muted card-intro">
          Exports use the filters of the last search and include the checkpoint that covers them.
        </p>
        {state === 'loading' ? (
          <Loading what="events" />
        ) : events.length === 0 ? (
          error ? (
            <ErrorState error={error} onRetry={() => void load(draft)} what="events" />
          ) : (
            <EmptyState title="No events match">
              Change the filters, or check back when the vault has recorded activity.
            </EmptyState>
          )
        ) : (
          <>
            <p class="muted result-count" role="status">
              {plural(events.length, 'event')} shown, newest first{next !== undefined ? '; older ones follow' : ''}.
            </p>
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Audit events (scrolls sideways)">
              <table class="table table-dense">
                <caption class="visually-hidden">Audit events matching the filters</caption>
                <thead>
                  <tr>
                    <th scope="col">Seq</th>
                    <th scope="col">Time</th>
                    <th scope="col">Action</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Company</th>
                    <th scope="col">Purpose · fields</th>
                    <th scope="col">Decision</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((ev) => (
                    <tr key={ev.seq}>
                      <td class="num">{ev.seq}</td>
                      <td class="nowrap">
                        <DateTime iso={ev.time} />
                      </td>
                      <td>
                        <code>{ev.action}</code>
                      </td>
                      <td class="id-cell">
                        {ev.actor ? `${ev.actor.kind}${ev.actor.id ? ` ${ev.actor.id.slice(0, 8)}` : ''}` : ''}
                      </td>
                      <td class="id-cell" title={ev.customerId}>
                        {ev.customerId?.slice(0, 8) ?? ''}
                      </td>
                      <td class="id-cell" title={ev.companyId}>
                        {ev.companyId && names[ev.companyId] && (
                          <span class="company-name">{names[ev.companyId]} </span>
                        )}
                        {ev.companyId?.slice(0, 8) ?? ''}
                      </td>
                      <td>
                        {ev.purpose}
                        {ev.fields?.length ? <span class="muted"> · {ev.fields.join(', ')}</span> : null}
                        {ev.detail && <Detail detail={ev.detail} />}
                        {ev.reasons && ev.reasons.length > 0 && <Reasons reasons={ev.reasons} />}
                      </td>
                      <td>
                        {ev.decision ? (
                          <Badge tone={ev.decision === 'allow' ? 'good' : 'bad'}>{ev.decision}</Badge>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <ProblemAlert error={error} />
            {next !== undefined && (
              <div class="more">
                <Button onClick={() => void load(applied, next)} busy={state === 'more'}>
                  Load more events
                </Button>
              </div>
            )}
          </>
        )}
      </Card>
      <Checkpoints />
    </>
  );
}

/** An event's scalar facts (counts, a terms version, a category), as `key value` pairs. */
function Detail({ detail }: { detail: Record<string, string | number | boolean> }) {
  const entries = Object.entries(detail);
  if (!entries.length) return null;
  return (
    <ul class="detail">
      {entries.map(([k, v]) => (
        <li key={k}>
          <span class="muted">{k}</span> <code>{String(v)}</code>
        </li>
      ))}
    </ul>
  );
}

function Checkpoints() {
  const [res, reload] = useResource<{ checkpoints: Checkpoint[] }>('/api/audit/checkpoints');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [made, setMade] = useState<{ checkpoint: Checkpoint; fresh: boolean }>();

  async function create() {
    setBusy(true);
    setError(undefined);
    setMade(undefined);
    try {
      // The vault answers with the latest checkpoint when no event came after it, so compare with the
      // newest one it has now (the list on screen may be older than an export's checkpoint).
      const { checkpoints } = await get<{ checkpoints: Checkpoint[] }>('/api/audit/checkpoints');
      const newest = Math.max(0, ...checkpoints.map((c) => c.seq));
      const cp = await api<Checkpoint>('POST', '/api/audit/checkpoints');
      setMade({ checkpoint: cp, fresh: cp.seq > newest });
      reload();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card
      title="Checkpoints"
      id="checkpoints"
      actions={
        <Button onClick={() => void create()} busy={busy}>
          Sign a checkpoint now
        </Button>
      }
    >
      <p class="muted card-intro">
        A checkpoint is the vault's signature over the chain's head. Keep one, and any later change to the events before
        it is detectable.
      </p>
      <ProblemAlert error={error} />
      {made &&
        (made.fresh ? (
          <Notice>Checkpoint signed at sequence {made.checkpoint.seq}.</Notice>
        ) : (
          <Notice tone="info">
            No event since the last checkpoint: it already covers sequence {made.checkpoint.seq}, the head of the log.
          </Notice>
        ))}
      {res.state === 'loading' ? (
        <Loading what="checkpoints" />
      ) : res.state === 'error' ? (
        <ErrorState error={res.error} onRetry={reload} what="checkpoints" />
      ) : res.state === 'missing' || !res.data.checkpoints.length ? (
        <EmptyState title="No checkpoints yet" />
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Checkpoints (scrolls sideways)">
          <table class="table table-dense">
            <caption class="visually-hidden">Signed checkpoints, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Time</th>
                <th scope="col">Chain hash</th>
                <th scope="col">
                  <span class="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...res.data.checkpoints]
                .sort((a, b) => b.seq - a.seq)
                .map((c) => (
                  <tr key={c.seq}>
                    <td class="num">{c.seq}</td>
                    <td class="nowrap">
                      <DateTime iso={c.time} />
                    </td>
                    <td>
                      <code class="hash" title={c.hash}>
                        {c.hash.slice(0, 16)}…
                      </code>
                    </td>
                    <td class="cell-actions">
                      <Button
                        variant="ghost"
                        onClick={() =>
                          saveBlob(new Blob([c.jws], { type: 'application/jose' }), `checkpoint-${c.seq}.jws`)
                        }
                        aria-label={`Download JWS of checkpoint ${c.seq}`}
                      >
                        Download JWS
                      </Button>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
