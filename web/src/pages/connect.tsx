import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { ErrorSummary, FieldMessage, invalidProps, type FieldError } from '../errors.tsx';
import { navigate } from '../router.ts';
import { Button, Card, PageHeader, ProblemAlert } from '../ui.tsx';

/**
 * "Connect a product" (RFC 8628 §3.3): the customer types the code their toothbrush, car or other product
 * shows; the vault then shows who asks and for what on the consent screen, where they approve or deny.
 * A signed-out customer lands here after signing in, with the code from the product's link still filled in.
 */
export function ConnectPage({ code: given }: { code: string | null }) {
  const [code, setCode] = useState(given ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string>();
  const [local, setLocal] = useState<FieldError[]>([]);

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    setLocal([]);
    if (!code.trim()) return setLocal([{ field: 'user-code', message: 'Enter the code your product shows.' }]);
    setBusy(true);
    try {
      const out = await api<{ request: string }>('POST', '/api/device', { code: code.trim() });
      navigate(`/consent?request=${encodeURIComponent(out.request)}`);
      return;
    } catch (err) {
      // A wrong code is told at the field; anything else (too many tries) as an alert.
      if (err instanceof ApiError && err.status === 400)
        setLocal([{ field: 'user-code', message: err.problem.detail ?? 'That code is not valid.' }]);
      else setError(err instanceof ApiError ? err : String(err));
    }
    setBusy(false);
  }

  return (
    <>
      <PageHeader
        title="Connect a product"
        intro="A product such as a toothbrush or a car can add what it records to your vault. It shows a code: type it here, then see what it asks for before you decide."
      />
      <Card title="The code on your product" id="connect">
        <form class="form" onSubmit={submit} noValidate>
          <ErrorSummary errors={local} />
          <div class="form-row">
            <label for="user-code">Code</label>
            <input
              id="user-code"
              name="code"
              type="text"
              autoComplete="off"
              autoCapitalize="characters"
              spellcheck={false}
              maxLength={32}
              required
              {...invalidProps(local, 'user-code', 'user-code-hint')}
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
            <p id="user-code-hint" class="hint">
              Eight letters, such as BCDF-GHJK. Capitals and the dash do not matter.
            </p>
            <FieldMessage errors={local} field="user-code" />
          </div>
          <ProblemAlert error={error} />
          <Button type="submit" variant="primary" busy={busy} disabled={busy}>
            Continue
          </Button>
        </form>
      </Card>
    </>
  );
}
