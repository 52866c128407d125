import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { formatLongDate, formatRelative, humanise } from '../format.ts';
import type { FieldInfo, Grant, GrantCompany, GrantStatus } from '../types.ts';
import { Badge, Button, ConfirmDialog, FieldChips, Link, Notice, ProblemAlert, Reasons, type Tone } from '../ui.tsx';
import { NarrowForm } from './grant-narrow.tsx';
import { StopExplanation } from './grant-stop.tsx';

export const STATUS: Record<GrantStatus, { label: string; tone: Tone; order: number }> = {
  active: { label: 'Active', tone: 'good', order: 0 },
  suspended: { label: 'Suspended', tone: 'warn', order: 1 },
  expired: { label: 'Ended', tone: 'neutral', order: 2 },
  revoked: { label: 'Stopped', tone: 'neutral', order: 3 },
};

export const live = (g: Grant) => g.status === 'active' || g.status === 'suspended';

function actionsText(actions: string[]): string {
  const read = actions.includes('read');
  const deposit = actions.includes('deposit');
  if (read && deposit) return 'Read your fields and add records to your vault';
  if (deposit) return 'Add records to your vault';
  return 'Read your fields';
}

/** Why a revoked grant stopped, in the customer's words (the server's reasons are a closed set). */
function revokedWhy(reason: string | undefined | null, name: string): string {
  if (!reason || reason === 'Revoked by the customer') return 'you revoked it';
  if (reason === 'Revoked by the company') return `${name} ended it`;
  return reason.charAt(0).toLowerCase() + reason.slice(1).replace(/\.$/, '');
}

/** When and why a grant ended, or when it ends: never "ran until" an end date it did not reach. */
function EndLine({ grant: g, name }: { grant: Grant; name: string }) {
  const changed = formatLongDate(g.statusChangedAt ?? g.expiresAt);
  if (g.status === 'revoked')
    return (
      <p class="grant-end">
        Stopped on {changed} — {revokedWhy(g.statusReason, name)}.
      </p>
    );
  if (g.status === 'expired') return <p class="grant-end">Ended on {formatLongDate(g.expiresAt)}, as agreed.</p>;
  if (g.status === 'suspended') {
    // The stored reason is "<what changed>. <the policy's sentences>": the first says why, the rest how.
    const [why, ...rest] = (g.statusReason ?? 'The policy no longer allows it').split(/(?<=\.)\s+/);
    return (
      <>
        <p class="grant-end">
          Suspended on {changed} because {why!.charAt(0).toLowerCase() + why!.slice(1).replace(/\.$/, '')}.
        </p>
        {rest.length > 0 && g.canReapprove !== false && <p class="muted">{rest.join(' ')}</p>}
      </>
    );
  }
  return (
    <p class="grant-end">
      Until {formatLongDate(g.expiresAt)} <span class="muted">({formatRelative(g.expiresAt)})</span>
    </p>
  );
}

/** One grant inside its company's card: what, until when, and the actions the server would accept. */
export function GrantItem(props: {
  grant: Grant;
  name: string;
  company?: GrantCompany;
  catalogue?: FieldInfo[];
  onChange: () => void;
}) {
  const { grant: g, name, catalogue } = props;
  const [mode, setMode] = useState<'view' | 'narrow' | 'revoke'>('view');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [notice, setNotice] = useState<string>();
  const st = STATUS[g.status] ?? { label: humanise(g.status), tone: 'neutral' as Tone };
  const headingId = `grant-${g.id}`;
  const purpose = humanise(g.purpose);

  async function run(fn: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      setMode('view');
      setNotice(done);
      props.onChange();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class={`grant-item grant-${g.status}`} aria-labelledby={headingId}>
      <div class="grant-head">
        <h4 id={headingId}>{purpose}</h4>
        <Badge tone={st.tone}>{st.label}</Badge>
      </div>
      <EndLine grant={g} name={name} />
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
          <dt>Granted on</dt>
          <dd>{formatLongDate(g.createdAt)}</dd>
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
      {g.status === 'suspended' && g.canReapprove === false && (
        <div class="alert alert-warn">
          <p class="alert-title">It cannot be re-approved now</p>
          <Reasons reasons={g.reapproveReasons ?? []} />
          {(g.reapproveReasons ?? []).some((r) => r.source === 'customer') && (
            <p>
              If you want to, change <Link href="/settings">your criteria</Link> first.
            </p>
          )}
        </div>
      )}
      {mode !== 'narrow' && live(g) && (
        <div class="grant-actions">
          {g.status === 'suspended' && g.canReapprove !== false && (
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
              aria-label={`Narrow ${name}'s grant for ${purpose.toLowerCase()}`}
            >
              Narrow
            </Button>
          )}
          <Button
            variant="danger"
            onClick={() => (setError(undefined), setMode('revoke'))}
            aria-label={`Revoke ${name}'s access for ${purpose.toLowerCase()}`}
          >
            Revoke
          </Button>
        </div>
      )}
      {mode === 'view' && <ProblemAlert error={error} />}
      <ConfirmDialog
        open={mode === 'revoke'}
        title={`Revoke ${name}'s access?`}
        confirmLabel="Revoke access"
        danger
        busy={busy}
        error={error}
        onCancel={() => setMode('view')}
        onConfirm={() => void run(() => api('DELETE', `/api/grants/${encodeURIComponent(g.id)}`), 'Access revoked.')}
      >
        <StopExplanation grant={g} company={props.company} name={name} catalogue={catalogue} />
      </ConfirmDialog>
    </li>
  );
}
