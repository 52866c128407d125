import { useEffect, useId, useRef } from 'preact/hooks';
import type { ApiError } from './api.ts';

/**
 * Form errors in the GOV.UK pattern: a summary titled "There is a problem" at the top of the form, each
 * error a link that focuses its field, and the same message at the field, tied to the input by
 * aria-describedby. Messages are sentences for people: the server's validation paths (`body.email`)
 * are mapped to the form's own fields and never shown.
 */

export interface FieldError {
  /** The id of the input the message belongs to; without one the message is listed but not linked. */
  field?: string;
  message: string;
}

/** A form field as the error mapping knows it: the input's id, its label, and its own wording, if any. */
export interface FormField {
  id: string;
  label: string;
  /** Turns a server message into this field's own sentence; the general wording is used otherwise. */
  explain?: (message: string) => string;
}

const lower = (label: string) => label.replace(/\s*\(.*\)$/, '').toLowerCase();

/** The schema's messages are written for programs ("Too small: expected string to have >=10 characters"). */
export function plainMessage(label: string, message: string): string {
  const min = /(?:at least|>=)\s*(\d+)/i.exec(message);
  const max = /(?:at most|<=)\s*(\d+)/i.exec(message);
  if (/email/i.test(message)) return 'Enter an e-mail address in the right format, like name@example.com';
  if (/required|received undefined/i.test(message)) return `Enter your ${lower(label)}`;
  const unit = /number/i.test(message) ? '' : ' characters';
  if (min) return unit ? `${label} must be at least ${min[1]}${unit}` : `${label} must be ${min[1]} or more`;
  if (max) return unit ? `${label} must be ${max[1]}${unit} or fewer` : `${label} must be ${max[1]} or less`;
  return `This is not a valid ${lower(label)}`;
}

/** The first path segment after the location (`body.email.0` names the field `email`). */
function fieldOf(path: string): string {
  return path.replace(/^(body|query|params)\./, '').split('.')[0] ?? '';
}

/**
 * The problem's `errors[]` as messages for the form's fields. An error the form has no field for is
 * listed unlinked in a general sentence; a problem with no field errors is its `detail` alone (the
 * server's sentence for a refusal such as a wrong password, which names no path).
 */
export function fieldErrorsOf(error: ApiError, fields: Record<string, FormField>): FieldError[] {
  const list = error.problem.errors ?? [];
  if (!list.length) return [{ message: error.problem.detail ?? error.problem.title ?? error.message }];
  const out: FieldError[] = [];
  for (const e of list) {
    const f = fields[fieldOf(e.path)];
    const message = f ? (f.explain ?? ((m: string) => plainMessage(f.label, m)))(e.message) : undefined;
    const item = f
      ? { field: f.id, message: message! }
      : { message: 'Something in the form is not valid. Check it and try again.' };
    if (!out.some((o) => o.field === item.field && o.message === item.message)) out.push(item);
  }
  return out;
}

/** Whether a problem carries field errors (a 400 from the boundary's schema), which belong in a summary. */
export function hasFieldErrors(error: unknown): boolean {
  return !!(error as ApiError | undefined)?.problem?.errors?.length;
}

/** A field name from a validation path, in words ("expiresAt" → "Expires at"), for forms with no field map. */
export function pathLabel(path: string): string {
  const name = fieldOf(path)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[-_]+/g, ' ')
    .toLowerCase();
  return name ? name.charAt(0).toUpperCase() + name.slice(1) : 'A value';
}

export const errorId = (field: string) => `${field}-error`;

/** The message for one field, or undefined. */
export function messageFor(errors: FieldError[], field: string): string | undefined {
  return errors.find((e) => e.field === field)?.message;
}

/** Props for an input: aria-invalid and aria-describedby (its hint first, then its error). */
export function invalidProps(errors: FieldError[], field: string, hint?: string) {
  const bad = errors.some((e) => e.field === field);
  const describedBy = [hint, bad ? errorId(field) : undefined].filter(Boolean).join(' ');
  return { 'aria-invalid': bad ? ('true' as const) : undefined, 'aria-describedby': describedBy || undefined };
}

/** The summary box; it takes focus when it appears or changes, so the reader hears it first. */
export function ErrorSummary(props: { errors: FieldError[] }) {
  const box = useRef<HTMLDivElement>(null);
  // Several forms can be open on one page (a profile row each), so the title's id is the component's own.
  const titleId = `error-summary-${useId()}`;
  const key = props.errors.map((e) => `${e.field}:${e.message}`).join('|');
  useEffect(() => {
    if (key) box.current?.focus();
  }, [key]);
  if (!props.errors.length) return null;
  return (
    <div class="error-summary" ref={box} tabIndex={-1} role="alert" aria-labelledby={titleId}>
      <h2 id={titleId} class="error-summary-title">
        There is a problem
      </h2>
      <ul class="error-summary-list">
        {props.errors.map((e) => (
          <li key={`${e.field}:${e.message}`}>
            {e.field ? (
              <a
                href={`#${e.field}`}
                onClick={(ev) => {
                  // The router would treat the hash as a page; focusing the field is what the link means.
                  ev.preventDefault();
                  const input = document.getElementById(e.field!);
                  input?.focus();
                  input?.scrollIntoView({ block: 'center' });
                }}
              >
                {e.message}
              </a>
            ) : (
              e.message
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The message at the field, with the id its input's aria-describedby points at. */
export function FieldMessage(props: { errors: FieldError[]; field: string }) {
  const message = messageFor(props.errors, props.field);
  if (!message) return null;
  return (
    <p class="field-error" id={errorId(props.field)}>
      <span class="visually-hidden">Error: </span>
      {message}
    </p>
  );
}
