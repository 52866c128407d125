import { useState } from 'preact/hooks';
import { humanise } from '../format.ts';
import type { RequestedField } from '../types.ts';
import { Badge } from '../ui.tsx';

/** A stored value as a person reads it: lists joined, anything else as text. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** What would be shared for one field: the customer's own value, masked when sensitive until they ask. */
function Preview({ field }: { field: RequestedField }) {
  const [reveal, setReveal] = useState(false);
  if (field.value === undefined) return null;
  if (field.value === null) return <p class="field-preview not-filled">You have not filled this in</p>;
  if (field.sensitive && !reveal)
    return (
      <p class="field-preview">
        <span class="masked">
          <span aria-hidden="true">••••••••</span>
          <span class="visually-hidden">Hidden</span>
        </span>{' '}
        <button type="button" class="link-button" onClick={() => setReveal(true)}>
          Show<span class="visually-hidden"> {field.label}</span>
        </button>
      </p>
    );
  return (
    <p class="field-preview">
      <span class="field-value break">{shown(field.value)}</span>
      {field.sensitive && (
        <>
          {' '}
          <button type="button" class="link-button" onClick={() => setReveal(false)}>
            Hide<span class="visually-hidden"> {field.label}</span>
          </button>
        </>
      )}
    </p>
  );
}

/** The requested fields as checkboxes, each with what the company would get for it. */
export function ConsentFields(props: {
  fields: RequestedField[];
  chosen: Set<string>;
  disabled: boolean;
  onChange: (next: Set<string>) => void;
  /** aria-invalid and aria-describedby for the first box, which the error summary links to. */
  invalid?: { 'aria-invalid'?: 'true'; 'aria-describedby'?: string };
}) {
  const anySensitive = props.fields.some((f) => f.sensitive);
  return (
    <fieldset class="consent-fields">
      <legend class="visually-hidden">Fields to share</legend>
      <p class="hint">
        Untick any field you do not want to share. Below each is what the company would get.
        {anySensitive && ' Sensitive data is marked and hidden until you show it.'}
      </p>
      <ul class="check-list">
        {props.fields.map((f, i) => (
          <li key={f.name} class="check-card">
            <label class="check">
              <input
                id={`consent-field-${i}`}
                {...(i === 0 ? props.invalid : {})}
                type="checkbox"
                name="fields"
                value={f.name}
                checked={props.chosen.has(f.name)}
                disabled={props.disabled}
                onChange={(e) => {
                  const next = new Set(props.chosen);
                  if (e.currentTarget.checked) next.add(f.name);
                  else next.delete(f.name);
                  props.onChange(next);
                }}
              />
              <span class="check-text">
                <span>{f.label}</span>
                <span class="muted small">{humanise(f.category)}</span>
              </span>
              {f.sensitive && <Badge tone="sensitive">Sensitive</Badge>}
            </label>
            <Preview field={f} />
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
