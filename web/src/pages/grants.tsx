import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { formatDate, formatRelative, humanise, isoDate } from '../format.ts';
import type { FieldInfo, Grant, GrantStatus } from '../types.ts';
import {
  Badge,
  Button,
  ConfirmDialog,
  EmptyState,
  FieldChips,
  Notice,
  PageHeader,
  ProblemAlert,
  ResourceView,
  labelOf,
  useFieldCatalogue,
  useResource,
  type Tone,
} from '../ui.tsx';
import { PendingRequests } from './requests.tsx';

const STATUS: Record<GrantStatus, { label: string; tone: Tone; order: number }> = {
  active: { label: 'Active', tone: 'good', order: 0 },
  suspended: { label: 'Suspended', tone: 'warn', order: 1 },
  expired: { label: 'Expired', tone: 'neutral', order: 2 },
  revoked: { label: 'Revoked', tone: 'neutral', order: 3 },
};

const live = (g: Grant) => g.status === 'active' || g.status === 'suspended';

/** Who may see what, until when: active grants first, with revoke and narrow. */
export function GrantsPage() {
  const catalogue = useFieldCatalogue();
  const [res, reload] = useResource<{ grants: Grant[] }>('/api/grants');
  const empty = (
    <EmptyState title="No company has access to your data">
      When you approve a company's request, the grant appears here with what it covers and until when. You can narrow or
      revoke it at any time.
    </EmptyState>
  );
  return (
    <>
      <PageHeader
        title="Grants"
        intro="Each grant lets one company use the fields you chose, for one purpose, until it expires. Revoking takes effect on the company's very next request."
      />
      <PendingRequests compact />
      <ResourceView res={res} what="grants" empty={empty}>
        {({ grants }) => {
          const sorted = [...grants].sort(
            (a, b) =>
              (STATUS[a.status]?.order ?? 9) - (STATUS[b.status]?.order ?? 9) || a.expiresAt.localeCompare(b.expiresAt),
          );
          const current = sorted.filter(live);
          const past = sorted.filter((g) => !live(g));
          if (!grants.length) return empty;
          return (
            <>
              <h2 class="section-title">Current access ({current.length})</h2>
              {current.length ? (
                <ul class="grant-list">
                  {current.map((g) => (
                    <GrantCard key={g.id} grant={g} catalogue={catalogue} onChange={reload} />
                  ))}
                </ul>
              ) : (
                <EmptyState title="No company can read your data right now" />
              )}
              {past.length > 0 && (
                <details class="past">
                  <summary>Ended grants ({past.length})</summary>
                  <ul class="grant-list">
                    {past.map((g) => (
                      <GrantCard key={g.id} grant={g} catalogue={catalogue} onChange={reload} />
                    ))}
                  </ul>
                </details>
              )}
            </>
          );
        }}
      </ResourceView>
    </>
  );
}

function actionsText(actions: string[]): string {
  const read = actions.includes('read');
  const deposit = actions.includes('deposit');
  if (read && deposit) return 'Read your fields and add records to your vault';
  if (deposit) return 'Add records to your vault';
  return 'Read your fields';
}

function GrantCard({ grant: g, catalogue, onChange }: { grant: Grant; catalogue?: FieldInfo[]; onChange: () => void }) {
  const [mode, setMode] = useState<'view' | 'narrow' | 'revoke'>('view');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [notice, setNotice] = useState<string>();
  const st = STATUS[g.status] ?? { label: humanise(g.status), tone: 'neutral' as Tone };
  const headingId = `grant-${g.id}`;

  async function run(fn: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      setMode('view');
      setNotice(done);
      onChange();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class={`card grant-card grant-${g.status}`} aria-labelledby={headingId}>
      <div class="grant-head">
        <div>
          <h3 id={headingId}>{g.company.name}</h3>
          {g.company.currentName && <p class="muted">Now called {g.company.currentName}</p>}
          <p class="muted">{humanise(g.purpose)}</p>
        </div>
        <Badge tone={st.tone}>{st.label}</Badge>
      </div>
      {g.statusReason && (
        <div class={`alert ${g.status === 'suspended' ? 'alert-warn' : 'alert-info'}`}>
          <p>{g.statusReason}</p>
        </div>
      )}
      <dl class="facts">
        <div>
          <dt>Fields</dt>
          <dd>
            <FieldChips names={g.fields} catalogue={catalogue} />
          </dd>
        </div>
        <div>
          <dt>May</dt>
          <dd>{actionsText(g.actions)}</dd>
        </div>
        <div>
          <dt>{g.status === 'active' || g.status === 'suspended' ? 'Expires' : 'Ran until'}</dt>
          <dd>
            {formatDate(g.expiresAt)} {live(g) && <span class="muted">({formatRelative(g.expiresAt)})</span>}
          </dd>
        </div>
        <div>
          <dt>Granted</dt>
          <dd>
            {formatDate(g.createdAt)}
            {g.termsVersion !== undefined && <span class="muted block">under terms version {g.termsVersion}</span>}
          </dd>
        </div>
      </dl>
      {notice && <Notice>{notice}</Notice>}
      {mode === 'narrow' && (
        <NarrowForm
          grant={g}
          catalogue={catalogue}
          busy={busy}
          error={error}
          onCancel={() => setMode('view')}
          onSave={(body) =>
            void run(() => api('PATCH', `/api/grants/${encodeURIComponent(g.id)}`, body), 'The grant was narrowed.')
          }
        />
      )}
      {mode !== 'narrow' && live(g) && (
        <div class="grant-actions">
          {g.status === 'suspended' && (
            <Button
              variant="primary"
              busy={busy}
              onClick={() =>
                void run(
                  () => api('POST', `/api/grants/${encodeURIComponent(g.id)}/reapprove`),
                  'The grant is active again under the new terms.',
                )
              }
            >
              Re-approve under new terms
            </Button>
          )}
          {g.status === 'active' && (
            <Button
              onClick={() => (setError(undefined), setMode('narrow'))}
              aria-label={`Narrow ${g.company.name}'s grant`}
            >
              Narrow
            </Button>
          )}
          <Button
            variant="danger"
            onClick={() => (setError(undefined), setMode('revoke'))}
            aria-label={`Revoke ${g.company.name}'s access`}
          >
            Revoke
          </Button>
        </div>
      )}
      {mode === 'view' && <ProblemAlert error={error} />}
      <ConfirmDialog
        open={mode === 'revoke'}
        title={`Revoke ${g.company.name}'s access?`}
        confirmLabel="Revoke access"
        danger
        busy={busy}
        error={error}
        onCancel={() => setMode('view')}
        onConfirm={() => void run(() => api('DELETE', `/api/grants/${encodeURIComponent(g.id)}`), 'Access revoked.')}
      >
        <p>
          {g.company.name} will not be able to use{' '}
          {g.fields.length === 1 ? labelOf(catalogue, g.fields[0]!) : `these ${g.fields.length} fields`} for{' '}
          {humanise(g.purpose).toLowerCase()} from its next request on.
        </p>
        <p class="muted">This cannot be undone: the company would have to ask you again.</p>
      </ConfirmDialog>
    </li>
  );
}

function NarrowForm(props: {
  grant: Grant;
  catalogue?: FieldInfo[];
  busy: boolean;
  error?: ApiError;
  onCancel: () => void;
  onSave: (body: { fields?: string[]; actions?: string[]; expiresAt?: string }) => void;
}) {
  const g = props.grant;
  const [keep, setKeep] = useState<Set<string>>(new Set(g.fields));
  const [acts, setActs] = useState<Set<string>>(new Set(g.actions));
  const currentEnd = isoDate(new Date(g.expiresAt));
  const [until, setUntil] = useState(currentEnd);
  const [problem, setProblem] = useState<string>();
  const today = isoDate(new Date());

  function submit(e: Event) {
    e.preventDefault();
    setProblem(undefined);
    if (!keep.size) return setProblem('Keep at least one field, or revoke the grant instead.');
    if (!acts.size) return setProblem('Keep at least one permission, or revoke the grant instead.');
    const body: { fields?: string[]; actions?: string[]; expiresAt?: string } = {};
    if (keep.size < g.fields.length) body.fields = g.fields.filter((f) => keep.has(f));
    if (acts.size < g.actions.length) body.actions = g.actions.filter((a) => acts.has(a));
    if (until && until < currentEnd) {
      if (until < today) return setProblem('Choose today or a later day, or revoke the grant instead.');
      // The end of the chosen day, in the customer's own time zone.
      body.expiresAt = new Date(`${until}T23:59:59`).toISOString();
    }
    if (!body.fields && !body.actions && !body.expiresAt)
      return setProblem('Untick something or choose an earlier end date to narrow the grant.');
    props.onSave(body);
  }

  return (
    <form class="narrow-form" onSubmit={submit} noValidate>
      <fieldset>
        <legend>Fields {g.company.name} may keep using</legend>
        <div class="checks">
          {g.fields.map((f) => (
            <label key={f} class="check">
              <input
                type="checkbox"
                checked={keep.has(f)}
                onChange={(e) => {
                  const next = new Set(keep);
                  if (e.currentTarget.checked) next.add(f);
                  else next.delete(f);
                  setKeep(next);
                }}
              />
              {labelOf(props.catalogue, f)}
            </label>
          ))}
        </div>
      </fieldset>
      {g.actions.length > 1 && (
        <fieldset>
          <legend>{g.company.name} may</legend>
          <div class="checks">
            {g.actions.map((a) => (
              <label key={a} class="check">
                <input
                  type="checkbox"
                  checked={acts.has(a)}
                  onChange={(e) => {
                    const next = new Set(acts);
                    if (e.currentTarget.checked) next.add(a);
                    else next.delete(a);
                    setActs(next);
                  }}
                />
                {a === 'read' ? 'Read these fields' : 'Add records to your vault'}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <div class="form-row">
        <label for={`until-${g.id}`}>Access ends on</label>
        <input
          id={`until-${g.id}`}
          type="date"
          min={today}
          max={currentEnd}
          value={until}
          onInput={(e) => setUntil(e.currentTarget.value)}
        />
        <p class="hint">You can only shorten a grant. To give more, the company has to ask again.</p>
      </div>
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
      <ProblemAlert error={props.error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={props.busy}>
          Save narrower grant
        </Button>
        <Button onClick={props.onCancel} disabled={props.busy}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
