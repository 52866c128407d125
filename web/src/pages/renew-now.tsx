import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { formatLongDate } from '../format.ts';
import { Button, ProblemAlert, useResource } from '../ui.tsx';

/**
 * Renew from the notice before a grant ends: the vault decides it again under the company's current terms and
 * the policy (POST /api/grants/:id/renew); a refusal says why. Letting it end needs no click.
 */
export function RenewNow({ grantId, about }: { grantId: string; about: string }) {
  const [state, setState] = useState<'idle' | 'busy'>('idle');
  const [until, setUntil] = useState<string>();
  const [error, setError] = useState<ApiError>();
  // Offer renewal only while the grant is live: once it has ended (or was revoked) the server refuses, so say so.
  const [grant] = useResource<{ status: string; statusChangedAt?: string | null; expiresAt: string }>(
    `/api/grants/${encodeURIComponent(grantId)}`,
  );
  async function renew() {
    setState('busy');
    setError(undefined);
    try {
      const g = await api<{ expiresAt: string }>('POST', `/api/grants/${encodeURIComponent(grantId)}/renew`);
      setUntil(g.expiresAt);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    }
    setState('idle');
  }
  if (until) return <p class="message-links">Renewed until {formatLongDate(until)}.</p>;
  if (grant.state === 'ok' && grant.data.status !== 'active' && grant.data.status !== 'suspended') {
    const ended = grant.data.statusChangedAt ?? grant.data.expiresAt;
    return (
      <p class="message-links">
        This access ended on {formatLongDate(ended)}, so it can no longer be renewed. The company can ask again.
      </p>
    );
  }
  return (
    <div class="message-links">
      <Button
        busy={state === 'busy'}
        disabled={state === 'busy'}
        onClick={() => void renew()}
        aria-label={`Renew access (${about})`}
      >
        Renew access
      </Button>
      <ProblemAlert error={error} />
    </div>
  );
}
