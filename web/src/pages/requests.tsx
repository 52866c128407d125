import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { humanise, plural } from '../format.ts';
import type { ConsentRequest } from '../types.ts';
import {
  Badge,
  Button,
  Card,
  ErrorState,
  FieldChips,
  Link,
  Notice,
  ProblemAlert,
  Reasons,
  useResource,
} from '../ui.tsx';

/**
 * Access requests that companies sent to the customer's handle (back-channel requests) and that wait
 * for a decision. Approval happens only on the consent screen, where the end date, the customer's own
 * values and the company's terms are shown and fields and duration can be narrowed; a list may deny.
 */
export function PendingRequests(props: { compact?: boolean }) {
  const [res, reload] = useResource<{ requests: ConsentRequest[] }>('/api/requests');
  const requests = res.state === 'ok' ? res.data.requests.filter((r) => !r.status || r.status === 'pending') : [];
  if (res.state === 'error') return <ErrorState error={res.error} onRetry={reload} what="requests waiting for you" />;
  if (!requests.length) return null;
  return (
    <Card title={`Waiting for your decision (${requests.length})`} id="pending" class="pending-card">
      <ul class="request-list">
        {requests.map((r) => (
          <RequestItem key={r.id} req={r} compact={props.compact} onDone={reload} />
        ))}
      </ul>
    </Card>
  );
}

function RequestItem({ req, compact, onDone }: { req: ConsentRequest; compact?: boolean; onDone: () => void }) {
  const [busy, setBusy] = useState<'deny'>();
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const sensitive = new Set(req.request.fields.filter((f) => f.sensitive).map((f) => f.name));
  const blocked = req.decision && !req.decision.allow;
  const review = `/consent?request=${encodeURIComponent(req.id)}`;

  async function decide(decision: 'deny') {
    setBusy(decision);
    setError(undefined);
    try {
      await api('POST', `/api/consent/${encodeURIComponent(req.id)}`, { decision });
      setDone(`You denied ${req.company.name}'s request.`);
      setTimeout(onDone, 1200);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
      if (e instanceof ApiError && e.problem.type?.endsWith('/terms-changed')) onDone();
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <li class="request-item">
      <div class="request-head">
        <h3>
          {req.company.name}{' '}
          <span class="muted">
            asks to{' '}
            {req.request.actions.includes('deposit')
              ? req.request.actions.includes('read')
                ? 'read and add to'
                : 'add to'
              : 'read'}
          </span>
        </h3>
        <Badge tone="info">{humanise(req.request.purpose)}</Badge>
      </div>
      {req.request.purposeDescription && <p class="request-purpose">{req.request.purposeDescription}</p>}
      <FieldChips
        names={req.request.fields.map((f) => f.name)}
        catalogue={req.request.fields.map((f) => ({ name: f.name, label: f.label, category: f.category, schema: {} }))}
        sensitive={(n) => sensitive.has(n)}
      />
      {!compact && (
        <p class="muted small">
          For {plural(req.request.durationDays, 'day')} · keeps data {plural(req.company.terms.retentionDays, 'day')} ·{' '}
          {req.company.terms.sharesOnward ? 'shares it onward' : 'does not share it onward'}
        </p>
      )}
      {blocked && req.decision && (
        <div class="alert alert-warn">
          <p class="alert-title">Your criteria or the platform rules refuse this request</p>
          <Reasons reasons={req.decision.reasons} />
        </div>
      )}
      {done ? (
        <Notice>{done}</Notice>
      ) : (
        <div class="request-actions">
          {/* No one-click approval: the consent screen shows the end date, the values and the terms first. */}
          <Link href={review} class={`btn ${blocked ? 'btn-secondary' : 'btn-primary'}`}>
            {blocked ? 'Review details' : 'Review and approve'}
          </Link>
          <Button
            variant="danger"
            busy={busy === 'deny'}
            disabled={!!busy}
            onClick={() => void decide('deny')}
            aria-label={`Deny ${req.company.name}'s request`}
          >
            Deny
          </Button>
        </div>
      )}
      <ProblemAlert error={error} />
    </li>
  );
}
