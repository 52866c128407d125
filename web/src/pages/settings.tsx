import { useState } from 'preact/hooks';
import { ApiError, api, download } from '../api.ts';
import { navigate } from '../router.ts';
import { setFlash, setSession } from '../session.ts';
import { Button, Card, Link, Notice, PageHeader, ProblemAlert } from '../ui.tsx';
import { CriteriaCard } from './criteria.tsx';

export function SettingsPage() {
  return (
    <>
      <PageHeader
        title="Settings"
        intro="Your terms for companies, a copy of everything the vault holds about you, and the way out."
      />
      <CriteriaCard />
      <ExportCard />
      <DeleteCard />
    </>
  );
}

/* ---------- export ---------- */

function ExportCard() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState(false);
  async function run() {
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await download('/api/export', 'vault-export.json');
      setDone(true);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title="Your data" id="export">
      <p class="card-intro">
        Download everything the vault holds about you as one JSON file: your profile, your criteria, records companies
        added, and your grants. Or <Link href="/export">read your data in words</Link> on a page of its own.
      </p>
      <ProblemAlert error={error} />
      {done && <Notice>Your data was downloaded as vault-export.json.</Notice>}
      <Button variant="secondary" onClick={() => void run()} busy={busy}>
        Download my data
      </Button>
    </Card>
  );
}

/* ---------- deletion ---------- */

const PHRASE = 'delete my account';

function DeleteCard() {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const ok = typed.trim().toLowerCase() === PHRASE;

  async function run(e: Event) {
    e.preventDefault();
    if (!ok) return;
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', '/api/account', { confirm: PHRASE });
      setFlash(
        'Your account was deleted. Its encryption key is destroyed, so no copy of your data can be read any more.',
      );
      setSession(null);
      navigate('/signin', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
      setBusy(false);
    }
  }

  return (
    <Card title="Delete your account" id="delete" class="danger-zone">
      <p class="card-intro">
        This revokes every grant, destroys the key that encrypts your data, and cannot be undone. The record of past
        reads stays in the audit log without your name.
      </p>
      <form class="form" onSubmit={run} noValidate>
        <div class="form-row">
          <label for="confirm-delete">
            Type <strong>{PHRASE}</strong> to confirm
          </label>
          <input
            id="confirm-delete"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </div>
        <ProblemAlert error={error} />
        <div class="form-actions">
          <Button type="submit" variant="danger" disabled={!ok} busy={busy}>
            Delete my account
          </Button>
        </div>
      </form>
    </Card>
  );
}
