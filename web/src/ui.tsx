import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from './api.ts';
import { hasFieldErrors, pathLabel, plainMessage } from './errors.tsx';
import { formatDateTime, formatRelative } from './format.ts';
import { onLinkClick } from './router.ts';
import type { FieldInfo, Reason } from './types.ts';

/* ---------- data loading ---------- */

export type Resource<T> =
  | { state: 'loading' }
  | { state: 'ok'; data: T }
  /** The endpoint answered 404: shown as an empty state (some APIs are still being built). */
  | { state: 'missing'; error: ApiError }
  | { state: 'error'; error: ApiError };

export function useResource<T>(path: string | null): [Resource<T>, () => void] {
  const [res, setRes] = useState<Resource<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    get<T>(path).then(
      (data) => live && setRes({ state: 'ok', data }),
      (e: unknown) => {
        if (!live) return;
        const error = e instanceof ApiError ? e : new ApiError(0, { detail: String(e) });
        setRes({ state: error.status === 404 ? 'missing' : 'error', error });
      },
    );
    return () => void (live = false);
  }, [path, tick]);
  // A retry after a failure shows the loading state again; a refresh of shown data keeps it on screen.
  const reload = useCallback(() => {
    setRes((r) => (r.state === 'error' ? { state: 'loading' } : r));
    setTick((t) => t + 1);
  }, []);
  return [res, reload];
}

let catalogue: Promise<FieldInfo[]> | undefined;

/** The field catalogue (GET /api/fields), fetched once per page load. */
export function useFieldCatalogue(): FieldInfo[] | undefined {
  const [fields, setFields] = useState<FieldInfo[]>();
  useEffect(() => {
    catalogue ??= get<{ fields: FieldInfo[] }>('/api/fields').then((r) => r.fields);
    catalogue.then(setFields, () => {
      catalogue = undefined;
      setFields([]);
    });
  }, []);
  return fields;
}

export function labelOf(fields: FieldInfo[] | undefined, name: string): string {
  return fields?.find((f) => f.name === name)?.label ?? name;
}

/* ---------- layout ---------- */

export function Link(props: { href: string; class?: string; children: ComponentChildren; current?: boolean }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => onLinkClick(e, props.href)}
    >
      {props.children}
    </a>
  );
}

/** The page title; it takes focus on page change so screen readers announce the new page. */
export function PageHeader(props: { title: string; intro?: ComponentChildren; children?: ComponentChildren }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Consent vault`;
    h1.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <div class="page-header">
      <div>
        <h1 tabIndex={-1} ref={h1}>
          {props.title}
        </h1>
        {props.intro && <p class="lead">{props.intro}</p>}
      </div>
      {props.children && <div class="page-header-actions">{props.children}</div>}
    </div>
  );
}

export function Card(props: {
  title?: string;
  titleLevel?: 2 | 3;
  class?: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
  id?: string;
}) {
  const H = props.titleLevel === 3 ? 'h3' : 'h2';
  return (
    <section class={`card ${props.class ?? ''}`} aria-labelledby={props.id ? `${props.id}-title` : undefined}>
      {(props.title || props.actions) && (
        <div class="card-header">
          {props.title && <H id={props.id ? `${props.id}-title` : undefined}>{props.title}</H>}
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{props.title}</p>
      {props.children && <p class="empty-text">{props.children}</p>}
    </div>
  );
}

export type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info' | 'sensitive';

export function Badge(props: { tone?: Tone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${props.tone ?? 'neutral'}`} title={props.title}>
      {props.children}
    </span>
  );
}

/* ---------- errors ---------- */

const SOURCE_LABEL: Record<string, string> = {
  platform: 'Platform rule',
  customer: 'Your criteria',
  company: 'Company terms',
};

export function Reasons(props: { reasons: Reason[] }) {
  if (!props.reasons.length) return null;
  return (
    <ul class="reasons">
      {props.reasons.map((r) => (
        <li key={r.code + r.message}>
          {r.source && <span class="reason-source">{SOURCE_LABEL[r.source] ?? r.source}</span>}
          <span>{r.message}</span>
        </li>
      ))}
    </ul>
  );
}

/** Shows a problem's `detail`, policy `reasons` and any field `errors`; nothing when there is none. */
export function ProblemAlert(props: { error: ApiError | string | undefined; fieldErrors?: boolean }) {
  const e = props.error;
  if (!e) return null;
  if (typeof e === 'string')
    return (
      <div class="alert alert-error" role="alert">
        {e}
      </div>
    );
  const p = e.problem;
  // A validation problem's detail lists schema paths (body.email: …): the page says it in words instead.
  const fields = hasFieldErrors(e);
  const title = !fields && p.detail && p.title && p.detail !== p.title ? p.title : undefined;
  return (
    <div class="alert alert-error" role="alert">
      {title && <p class="alert-title">{title}</p>}
      <p>{fields ? 'Some of what you entered could not be accepted.' : (p.detail ?? p.title ?? e.message)}</p>
      {p.reasons && <Reasons reasons={p.reasons} />}
      {props.fieldErrors !== false && p.errors && p.errors.length > 0 && (
        <ul class="field-errors">
          {p.errors.map((fe) => (
            <li key={fe.path}>{plainMessage(pathLabel(fe.path), fe.message)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice(props: { children: ComponentChildren; tone?: 'success' | 'info' | 'warn' }) {
  return (
    <div class={`alert alert-${props.tone ?? 'success'}`} role="status">
      {props.children}
    </div>
  );
}

/**
 * A load that failed: what went wrong, and a Retry button that fetches again. A refusal the same call
 * would meet again (a 4xx other than 408 and 429) gets no Retry: it would only fail the same way.
 */
export function ErrorState(props: { error: ApiError; onRetry?: () => void; what?: string }) {
  const s = props.error.status;
  const transient = s === 0 || s === 408 || s === 429 || s >= 500;
  return (
    <div class="error-state">
      <ProblemAlert error={props.error} />
      {props.onRetry && transient && (
        <Button onClick={props.onRetry} aria-label={props.what ? `Retry loading ${props.what}` : undefined}>
          Retry
        </Button>
      )}
    </div>
  );
}

/** Standard rendering of a resource that is loading, missing (404) or failed; `ok` goes to children. */
export function ResourceView<T>(props: {
  res: Resource<T>;
  what: string;
  empty: ComponentChildren;
  /** Fetches again; offered as a Retry button when the load failed. */
  onRetry?: () => void;
  children: (data: T) => ComponentChildren;
}) {
  const r = props.res;
  if (r.state === 'loading') return <Loading what={props.what} />;
  if (r.state === 'missing') return <>{props.empty}</>;
  if (r.state === 'error') return <ErrorState error={r.error} onRetry={props.onRetry} what={props.what} />;
  return <>{props.children(r.data)}</>;
}

/* ---------- controls ---------- */

export function Button(
  props: ButtonHTMLAttributes<HTMLButtonElement> & {
    variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
    busy?: boolean;
  },
) {
  const { variant = 'secondary', busy, class: cls, children, disabled, ...rest } = props;
  return (
    <button
      type="button"
      {...rest}
      class={`btn btn-${variant} ${cls ?? ''}`}
      disabled={disabled || busy}
      aria-busy={busy ? 'true' : undefined}
    >
      {children}
    </button>
  );
}

/** A modal confirmation built on <dialog>, so focus is trapped and Escape cancels. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: ApiError | string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="dialog-title"
      onCancel={(e) => (e.preventDefault(), props.onCancel())}
    >
      {props.open && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            props.onConfirm();
          }}
        >
          <h2 id="dialog-title">{props.title}</h2>
          <div class="dialog-body">{props.children}</div>
          <ProblemAlert error={props.error} />
          <div class="dialog-actions">
            <Button onClick={props.onCancel}>Cancel</Button>
            <Button type="submit" variant={props.danger ? 'danger' : 'primary'} busy={props.busy}>
              {props.confirmLabel}
            </Button>
          </div>
        </form>
      )}
    </dialog>
  );
}

export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | undefined>();
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(undefined), 2500);
    return () => clearTimeout(t);
  }, [done]);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone('copied');
    } catch {
      setDone('failed');
    }
  }
  return (
    <>
      <Button onClick={copy} class="btn-copy">
        <svg aria-hidden="true" viewBox="0 0 20 20" class="icon">
          <rect x="7" y="7" width="10" height="10" rx="2" />
          <path d="M13 4H5a2 2 0 0 0-2 2v8" />
        </svg>
        {props.label}
      </Button>
      <span class="copy-status" role="status" aria-live="polite">
        {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </>
  );
}

/** Field names shown as labelled chips; sensitive ones are marked. */
export function FieldChips(props: { names: string[]; catalogue?: FieldInfo[]; sensitive?: (name: string) => boolean }) {
  if (!props.names.length) return <span class="muted">No fields</span>;
  return (
    <ul class="chips">
      {props.names.map((n) => (
        <li key={n} class={`chip ${props.sensitive?.(n) ? 'chip-sensitive' : ''}`}>
          {labelOf(props.catalogue, n)}
          {props.sensitive?.(n) && <span class="visually-hidden"> (sensitive)</span>}
        </li>
      ))}
    </ul>
  );
}

export function DateTime(props: { iso: string | undefined | null; relative?: boolean }) {
  if (!props.iso || Number.isNaN(new Date(props.iso).getTime())) return <span class="muted">—</span>;
  return (
    <time dateTime={props.iso} title={props.relative ? formatDateTime(props.iso) : undefined}>
      {props.relative ? formatRelative(props.iso) : formatDateTime(props.iso)}
    </time>
  );
}

export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
      <path class="logo-shield" d="M16 2.5 4.5 7v8.2c0 7.1 4.9 12.6 11.5 14.3 6.6-1.7 11.5-7.2 11.5-14.3V7L16 2.5Z" />
      <rect class="logo-lock" x="11" y="14" width="10" height="8" rx="1.5" />
      <path class="logo-shackle" d="M13 14v-2.5a3 3 0 0 1 6 0V14" />
    </svg>
  );
}
