import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { formatLongDate, humanise, plural } from '../format.ts';
import type { ConsentRequest } from '../types.ts';
import {
  ErrorSummary,
  FieldMessage,
  fieldErrorsOf,
  hasFieldErrors,
  invalidProps,
  type FieldError,
} from '../errors.tsx';
import { Badge, Button, Card, Link, Notice, PageHeader, ProblemAlert, Reasons } from '../ui.tsx';
import { ConsentFields } from './consent-fields.tsx';
import { ConsentClaims } from './consent-claims.tsx';
import { ConsentTerms } from './consent-terms.tsx';

/** A link back to the company that sent the customer, when the server names it (an expired request). */
export function BackToCompany({ error }: { error?: ApiError | string }) {
  const back = error instanceof ApiError ? error.problem.returnTo : undefined;
  if (!back || !/^https?:\/\//.test(back.href)) return null;
  return (
    <p>
      <a class="btn btn-primary" href={back.href} rel="noreferrer">
        Back to {back.name}
      </a>
    </p>
  );
}

/** The server's answer when the company's terms changed between this screen and the approval. */
const isTermsChanged = (e: unknown) =>
  e instanceof ApiError && e.status === 409 && !!e.problem.type?.endsWith('/terms-changed');

export function ConsentForm({
  req,
  termsChanged,
  onTermsChanged,
}: {
  req: ConsentRequest;
  termsChanged?: string;
  onTermsChanged: (message: string) => void;
}) {
  const { company, request, decision } = req;
  const terms = company.terms;
  const [fields, setFields] = useState<Set<string>>(new Set(request.fields.map((f) => f.name)));
  const hasClaims = !!request.claims?.length;
  const [days, setDays] = useState(String(Math.min(request.durationDays, request.maxDurationDays)));
  // A connected product starts with deposit only: reading is the customer's choice to add.
  const device = req.mode === 'device';
  const who = company.product ? `Your ${company.product}, by ${company.name},` : company.name;
  const [acts, setActs] = useState<Set<string>>(
    new Set(device && request.actions.includes('deposit') ? ['deposit'] : request.actions),
  );
  const [busy, setBusy] = useState<'approve' | 'deny'>();
  const [error, setError] = useState<ApiError | string>();
  const [outcome, setOutcome] = useState<'approved' | 'denied'>();
  // Field errors, the browser's own or the server's schema's, go to the summary; a refusal stays an alert.
  const [local, setLocal] = useState<FieldError[]>([]);
  const errors: FieldError[] = local.length
    ? local
    : typeof error === 'object' && hasFieldErrors(error)
      ? fieldErrorsOf(error, {
          fields: { id: 'consent-field-0', label: 'Fields' },
          actions: { id: 'consent-action-0', label: 'What it may do' },
          durationDays: { id: 'duration-days', label: 'Duration' },
        })
      : [];
  const fail = (field: string, message: string) => setLocal([{ field, message }]);
  const maxDays = Math.min(request.durationDays, request.maxDurationDays);
  const pending = !req.status || req.status === 'pending';
  const refused = decision ? !decision.allow : false;
  const n = Number(days);
  // The date access would end, in the customer's locale ("until 14 December 2026"), as the server counts it.
  const endsOn =
    Number.isInteger(n) && n >= 1 && n <= maxDays ? formatLongDate(new Date(Date.now() + n * 86_400_000)) : undefined;

  async function decide(kind: 'approve' | 'deny') {
    setError(undefined);
    setLocal([]);
    let body: Record<string, unknown> = { decision: 'deny' };
    if (kind === 'approve') {
      const n = Number(days);
      if (!fields.size && !hasClaims) return fail('consent-field-0', 'Choose at least one field, or deny the request.');
      if (!Number.isInteger(n) || n < 1 || n > maxDays)
        return fail('duration-days', `Choose a duration between 1 and ${maxDays} days.`);
      // The version shown here is the version approved: the server refuses the approval if it changed.
      body = { decision: 'approve', termsVersion: Number(terms.version) };
      if (fields.size < request.fields.length)
        body.fields = request.fields.map((f) => f.name).filter((f) => fields.has(f));
      if (n < request.durationDays) body.durationDays = n;
      if (!acts.size)
        return fail('consent-action-0', 'Choose at least one thing the company may do, or deny the request.');
      if (acts.size < request.actions.length || device) body.actions = request.actions.filter((a) => acts.has(a));
    }
    setBusy(kind);
    try {
      const out = await api<{ redirectTo?: string } | undefined>(
        'POST',
        `/api/consent/${encodeURIComponent(req.id)}`,
        body,
      );
      if (out?.redirectTo) {
        window.location.assign(out.redirectTo);
        return;
      }
      setOutcome(kind === 'approve' ? 'approved' : 'denied');
    } catch (e) {
      if (isTermsChanged(e))
        return onTermsChanged(
          `${company.name} changed its terms while you were reviewing this request, so nothing was approved. Its new terms are shown below: review them and decide again.`,
        );
      setError(e instanceof ApiError ? e : String(e));
    }
    setBusy(undefined);
  }

  if (outcome)
    return (
      <>
        <PageHeader title={outcome === 'approved' ? 'Access granted' : 'Request denied'} />
        <Notice>
          {outcome === 'approved'
            ? `${company.name} can now use the fields you chose for ${humanise(request.purpose).toLowerCase()}. You can narrow or revoke this at any time.`
            : `${company.name} gets nothing. It has been told that you said no.`}
        </Notice>
        <p>
          <Link href="/grants">See your grants</Link>
        </p>
      </>
    );

  return (
    <>
      <PageHeader
        title={`${who} asks for access`}
        intro={`Nothing is shared until you approve. You can untick fields and shorten the time before you do.`}
      />
      {termsChanged && pending && <Notice tone="warn">{termsChanged}</Notice>}
      {!pending && (
        <Notice tone="warn">
          This request is already {req.status}. <Link href="/grants">See your grants.</Link>
        </Notice>
      )}
      {decision && (refused || decision.reasons.length > 0) && (
        <div class={`alert ${refused ? 'alert-error' : 'alert-info'}`} role={refused ? 'alert' : undefined}>
          <p class="alert-title">
            {refused
              ? 'This request breaks your criteria or the platform rules, so it cannot be approved'
              : 'Please note'}
          </p>
          <Reasons reasons={decision.reasons} />
          {refused && decision.reasons.some((r) => r.source === 'customer') && (
            <p>
              You can deny it, or change <Link href="/settings">your criteria</Link> and come back.
            </p>
          )}
        </div>
      )}
      {/* One form around the terms too: on a phone the terms come before Approve and Deny (consent.css). */}
      <form
        class="consent-layout"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void decide('approve');
        }}
      >
        <div class="consent-main">
          <ErrorSummary errors={errors} />
          <Card title="What for" id="purpose">
            <p class="purpose-name">
              <Badge tone="info">{humanise(request.purpose)}</Badge>
            </p>
            {request.purposeDescription && <p>{request.purposeDescription}</p>}
            <p class="muted">
              {company.name} wants to{' '}
              {request.actions.includes('read')
                ? request.fields.length
                  ? 'read the fields below'
                  : 'know the answers below'
                : ''}
              {request.actions.includes('read') && request.actions.includes('deposit') ? ' and ' : ''}
              {request.actions.includes('deposit') ? 'add records to your vault' : ''}.
            </p>
          </Card>
          {request.actions.length > 1 && (
            <Card title="What it may do" id="actions">
              <fieldset class="consent-fields">
                <legend class="visually-hidden">What the company may do</legend>
                <p class="hint">Untick what you do not allow.</p>
                <ul class="check-list">
                  {request.actions.map((a, i) => (
                    <li key={a} class="check-card">
                      <label class="check">
                        <input
                          id={`consent-action-${i}`}
                          {...(i === 0 ? invalidProps(errors, 'consent-action-0') : {})}
                          type="checkbox"
                          name="actions"
                          value={a}
                          checked={acts.has(a)}
                          disabled={!pending}
                          onChange={(e) => {
                            const next = new Set(acts);
                            if (e.currentTarget.checked) next.add(a);
                            else next.delete(a);
                            setActs(next);
                          }}
                        />
                        <span class="check-text">
                          {a === 'read' ? 'Read the fields below' : 'Add records to your vault'}
                        </span>
                      </label>
                    </li>
                  ))}
                </ul>
                <FieldMessage errors={errors} field="consent-action-0" />
              </fieldset>
            </Card>
          )}
          {hasClaims && <ConsentClaims claims={request.claims ?? []} />}
          {request.fields.length > 0 && (
            <Card title="Which data" id="fields">
              <ConsentFields
                fields={request.fields}
                chosen={fields}
                disabled={!pending}
                onChange={setFields}
                invalid={invalidProps(errors, 'consent-field-0')}
              />
              <FieldMessage errors={errors} field="consent-field-0" />
            </Card>
          )}
          <Card title="For how long" id="duration">
            <div class="form-row">
              <label for="duration-days">Access ends after</label>
              <div class="input-suffix">
                <input
                  id="duration-days"
                  type="number"
                  min={1}
                  max={maxDays}
                  step={1}
                  value={days}
                  disabled={!pending}
                  onInput={(e) => setDays(e.currentTarget.value)}
                  {...invalidProps(errors, 'duration-days', 'duration-ends duration-hint')}
                />
                <span aria-hidden="true">days</span>
              </div>
              <p class="ends-on" id="duration-ends" aria-live="polite">
                {endsOn ? `Until ${endsOn}` : `Choose between 1 and ${plural(maxDays, 'day')}`}
              </p>
              <p class="hint" id="duration-hint">
                {company.name} asked for {plural(request.durationDays, 'day')}
                {request.maxDurationDays < request.durationDays
                  ? `; the rules allow at most ${plural(request.maxDurationDays, 'day')}`
                  : ''}
                . You can choose fewer.
              </p>
              <FieldMessage errors={errors} field="duration-days" />
            </div>
          </Card>
        </div>
        <ConsentTerms req={req} />
        <div class="consent-end">
          {!errors.length && <ProblemAlert error={error} />}
          <BackToCompany error={error} />
          {pending && (
            <div class="consent-actions">
              <Button
                type="submit"
                variant="primary"
                busy={busy === 'approve'}
                disabled={!!busy || refused || (!fields.size && !hasClaims)}
              >
                Approve {fields.size < request.fields.length ? `${plural(fields.size, 'field')}` : ''}
              </Button>
              <Button variant="secondary" busy={busy === 'deny'} disabled={!!busy} onClick={() => void decide('deny')}>
                Deny
              </Button>
            </div>
          )}
        </div>
      </form>
    </>
  );
}
