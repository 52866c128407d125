import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { ErrorSummary, FieldMessage, fieldErrorsOf, invalidProps, plainMessage, type FieldError } from '../errors.tsx';
import { countries, formatDate, formatDateTime, humanise, languages, nameOf } from '../format.ts';
import type { FieldInfo, ProfileValue, SessionInfo } from '../types.ts';
import {
  Badge,
  Button,
  Card,
  CopyButton,
  Loading,
  PageHeader,
  ProblemAlert,
  ResourceView,
  useFieldCatalogue,
  useResource,
} from '../ui.tsx';

type Fields = Record<string, ProfileValue>;

const CATEGORY_HELP: Record<string, string> = {
  contact: 'How companies can reach you.',
  identity: 'Who you are.',
  address: 'Where deliveries and letters go.',
  demographics: 'Facts about your household.',
  preferences: 'Your tastes and how you like to be contacted.',
  purchases: 'What you have bought and where you are a member.',
  devices: 'The devices you own.',
  health: 'Allergies and dietary needs.',
  financial: 'Bank and income details.',
  location: 'Where you are usually found.',
};

/** The customer's encrypted profile, grouped by category, edited one field at a time. */
export function ProfilePage({ session }: { session: SessionInfo }) {
  const catalogue = useFieldCatalogue();
  const [res, reload] = useResource<{ fields: Fields }>('/api/profile');
  const [fields, setFields] = useState<Fields>();
  const values = fields ?? (res.state === 'ok' ? res.data.fields : undefined);

  const groups = new Map<string, FieldInfo[]>();
  for (const f of catalogue ?? []) groups.set(f.category, [...(groups.get(f.category) ?? []), f]);
  const filled = values ? Object.keys(values).length : 0;

  return (
    <>
      <PageHeader
        title="Your profile"
        intro="Everything here is encrypted with a key that belongs to your account. Companies see a field only while you grant it to them."
      />
      <HandleCard handle={session.handle} />
      <ResourceView
        res={res}
        what="your profile"
        onRetry={reload}
        empty={<ProblemAlert error="Your profile could not be found." />}
      >
        {() =>
          !catalogue || !values ? (
            <Loading what="fields" />
          ) : (
            <>
              <p class="muted profile-summary">
                {filled} of {catalogue.length} fields filled in. Fill in only what you are happy to share with companies
                you approve.
              </p>
              <div class="category-grid">
                {[...groups].map(([category, list]) => (
                  <Card key={category} title={humanise(category)} id={`cat-${category}`} class="category-card">
                    <p class="muted card-intro">
                      {CATEGORY_HELP[category] ?? ''}
                      {/* Sensitivity is the platform policy's call (GET /api/fields), not a fixed list here. */}
                      {list.some((f) => f.sensitive) &&
                        ' Treated as sensitive: a company gets it only when you approve in person, and only for a short time.'}
                    </p>
                    <ul class="field-list">
                      {list.map((f) => (
                        <FieldRow key={f.name} field={f} value={values[f.name]} onSaved={setFields} />
                      ))}
                    </ul>
                  </Card>
                ))}
              </div>
            </>
          )
        }
      </ResourceView>
    </>
  );
}

function HandleCard({ handle }: { handle?: string }) {
  return (
    <section class="card handle-card" aria-labelledby="handle-title">
      <div>
        <h2 id="handle-title">Your vault handle</h2>
        <p class="muted">Companies address access requests to this handle. It reveals nothing else about you.</p>
      </div>
      {handle ? (
        <div class="handle-box">
          <code class="handle" data-testid="handle">
            {handle}
          </code>
          <CopyButton text={handle} label="Copy handle" />
        </div>
      ) : (
        <p class="muted">Your handle could not be loaded. Reload the page to try again.</p>
      )}
    </section>
  );
}

/** Examples shown as placeholders, so the expected format is clear before the server has to say so. */
const EXAMPLES: Record<string, string> = {
  phone: '+32 470 12 34 56',
  country: 'BE',
  language: 'en-GB',
  iban: 'BE71096123456769',
  home_location: '50.85, 4.35 (latitude, longitude)',
  postal_code: '1000',
  income_band: '30-40k',
  clothing_size: 'M',
};

export function display(field: FieldInfo, value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (value === null || value === undefined) return '';
  if (Array.isArray(field.schema.enum)) return humanise(String(value));
  if (field.name === 'country') return nameOf('region', String(value));
  if (field.name === 'language') return nameOf('language', String(value));
  if (field.schema.format === 'date') return formatDate(String(value));
  return String(value);
}

/** The schema's own messages are written for programs ("must match pattern /^[A-Z]{2}$/"); say it plainly. */
function friendly(field: FieldInfo, message: string): string {
  if (/pattern|Invalid (string|email|ISO date)|Invalid input/i.test(message)) {
    const ex = EXAMPLES[field.name];
    return `This is not a valid ${field.label.replace(/\s*\(.*\)$/, '').toLowerCase()}.${ex ? ` For example: ${ex}` : ''}`;
  }
  return plainMessage(field.label, message);
}

function toInputText(field: FieldInfo, value: unknown): string {
  if (Array.isArray(value)) return value.join('\n');
  return value === undefined || value === null ? '' : String(value);
}

/** Turns the editor's text back into the JSON value the field's schema expects; '' clears. */
function fromInputText(field: FieldInfo, text: string): unknown {
  const s = field.schema;
  if (s.type === 'array') {
    const items = text
      .split('\n')
      .map((t) => t.trim())
      .filter(Boolean);
    return items.length ? items : null;
  }
  if (!text.trim()) return null;
  if (s.type === 'integer' || s.type === 'number') return Number(text);
  return text.trim();
}

function FieldRow({ field, value, onSaved }: { field: FieldInfo; value?: ProfileValue; onSaved: (f: Fields) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string>();
  const [errors, setErrors] = useState<FieldError[]>([]);
  const id = `field-${field.name}`;
  // A cleared value can be put back until the next change: clearing is one click, so it is undoable.
  const [cleared, setCleared] = useState<unknown>();

  function edit() {
    setCleared(undefined);
    setText(toInputText(field, value?.value));
    setError(undefined);
    setErrors([]);
    setEditing(true);
  }

  async function save(next: unknown) {
    setBusy(true);
    setError(undefined);
    setErrors([]);
    try {
      const r = await api<{ fields: Fields }>('PATCH', '/api/profile', { [field.name]: next });
      onSaved(r.fields);
      setEditing(false);
    } catch (e) {
      // While editing, the form's error summary says it; a failed one-click clear shows beside the row.
      const found =
        e instanceof ApiError
          ? fieldErrorsOf(e, { [field.name]: { id, label: field.label, explain: (m) => friendly(field, m) } })
          : [{ message: String(e) }];
      if (editing) setErrors(found);
      else setError(found.map((f) => f.message).join(' '));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class={`field-row ${editing ? 'editing' : ''}`}>
      {editing ? (
        <form
          class="field-edit"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save(fromInputText(field, text));
          }}
        >
          <ErrorSummary errors={errors} />
          <label for={id} class="field-label">
            {field.label}
          </label>
          <FieldInput id={id} field={field} text={text} onInput={setText} errors={errors} />
          {field.schema.type === 'array' && (
            <p class="hint" id={`${id}-hint`}>
              One item per line.
            </p>
          )}
          <FieldMessage errors={errors} field={id} />
          <div class="field-actions">
            <Button type="submit" variant="primary" busy={busy}>
              Save
            </Button>
            <Button onClick={() => (setEditing(false), setErrors([]))} disabled={busy}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <>
          <div class="field-main">
            <span class="field-label" id={`${id}-label`}>
              {/* The name has its own element so the badge beside it does not become part of it. */}
              <span class="field-name">{field.label}</span>
              {field.sensitive && <Badge tone="sensitive">Sensitive</Badge>}
            </span>
            {value ? (
              <span
                class="field-value"
                aria-describedby={`${id}-label`}
                title={`Updated ${formatDateTime(value.updatedAt)}`}
              >
                {display(field, value.value)}
              </span>
            ) : (
              <span class="field-value empty-value">Not set</span>
            )}
          </div>
          <div class="field-actions">
            <Button variant="ghost" onClick={edit} aria-label={`${value ? 'Edit' : 'Add'} ${field.label}`}>
              {value ? 'Edit' : 'Add'}
            </Button>
            {value && (
              <Button
                variant="ghost"
                class="btn-quiet-danger"
                onClick={() => {
                  const old = value.value;
                  void save(null).then(() => setCleared(old));
                }}
                busy={busy}
                aria-label={`Clear ${field.label}`}
              >
                Clear
              </Button>
            )}
          </div>
          {cleared !== undefined && !value && (
            <p class="field-undo" role="status">
              {field.label} cleared.{' '}
              <Button variant="ghost" onClick={() => void save(cleared).then(() => setCleared(undefined))}>
                Undo
              </Button>
            </p>
          )}
          {error && !editing && <ProblemAlert error={error} />}
        </>
      )}
    </li>
  );
}

function FieldInput({
  id,
  field,
  text,
  onInput,
  errors,
}: {
  id: string;
  field: FieldInfo;
  text: string;
  onInput: (t: string) => void;
  errors: FieldError[];
}) {
  const s = field.schema;
  const common = { id, name: field.name, ...invalidProps(errors, id, s.type === 'array' ? `${id}-hint` : undefined) };
  if (Array.isArray(s.enum))
    return (
      <select {...common} value={text} onChange={(e) => onInput(e.currentTarget.value)}>
        <option value="">Not set</option>
        {s.enum.map((o) => (
          <option key={String(o)} value={String(o)}>
            {humanise(String(o))}
          </option>
        ))}
      </select>
    );
  if (s.type === 'array')
    return <textarea {...common} rows={4} value={text} onInput={(e) => onInput(e.currentTarget.value)} />;
  if (s.type === 'integer' || s.type === 'number')
    return (
      <input
        {...common}
        type="number"
        inputMode="numeric"
        min={s.minimum}
        max={s.maximum}
        step={s.type === 'integer' ? 1 : 'any'}
        value={text}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    );
  const onIn = (e: { currentTarget: HTMLInputElement }) => onInput(e.currentTarget.value);
  const placeholder = EXAMPLES[field.name] ? `e.g. ${EXAMPLES[field.name]}` : undefined;
  if (s.format === 'date') return <input {...common} type="date" value={text} onInput={onIn} />;
  if (field.name === 'country' || field.name === 'language') {
    const options = field.name === 'country' ? countries() : languages();
    if (text && !options.some(([code]) => code === text)) options.unshift([text, text]);
    return (
      <select {...common} value={text} onChange={(e) => onInput(e.currentTarget.value)}>
        <option value="">Not set</option>
        {options.map(([code, name]) => (
          <option key={code} value={code}>
            {name}
          </option>
        ))}
      </select>
    );
  }
  if (s.format === 'email')
    return <input {...common} type="email" maxLength={s.maxLength} value={text} onInput={onIn} autoComplete="off" />;
  if (field.name === 'phone')
    return (
      <input
        {...common}
        type="tel"
        maxLength={s.maxLength}
        placeholder={placeholder}
        value={text}
        onInput={onIn}
        autoComplete="off"
      />
    );
  return (
    <input
      {...common}
      type="text"
      maxLength={s.maxLength}
      placeholder={placeholder}
      value={text}
      onInput={onIn}
      autoComplete="off"
    />
  );
}
