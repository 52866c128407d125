import { useState } from 'preact/hooks';
import type { ApiError } from '../api.ts';
import { isoDate } from '../format.ts';
import type { FieldInfo, Grant } from '../types.ts';
import {
  ErrorSummary,
  FieldMessage,
  fieldErrorsOf,
  hasFieldErrors,
  invalidProps,
  type FieldError,
} from '../errors.tsx';
import { Button, ProblemAlert, labelOf } from '../ui.tsx';

/** Narrowing only takes away: fewer fields, fewer actions, an earlier end. */
export function NarrowForm(props: {
  grant: Grant;
  catalogue?: FieldInfo[];
  busy: boolean;
  error?: ApiError;
  onCancel: () => void;
  onSave: (body: { fields?: string[]; actions?: string[]; expiresAt?: string }) => void;
}) {
  const g = props.grant;
  const [keep, setKeep] = useState<Set<string>>(new Set(g.fields));
  const [acts, setActs] = useState<Set<string>>(new Set(g.actions));
  const currentEnd = isoDate(new Date(g.expiresAt));
  const [until, setUntil] = useState(currentEnd);
  const [problems, setProblems] = useState<FieldError[]>([]);
  const today = isoDate(new Date());
  // A checkbox group is named by its first box, which the summary's link focuses (as GOV.UK does).
  const ids = { fields: `keep-${g.id}-0`, actions: `act-${g.id}-0`, until: `until-${g.id}` };
  const server = props.error && hasFieldErrors(props.error) ? props.error : undefined;
  const errors = server
    ? fieldErrorsOf(server, {
        fields: { id: ids.fields, label: 'Fields' },
        actions: { id: ids.actions, label: 'Permissions' },
        expiresAt: { id: ids.until, label: 'End date' },
      })
    : problems;
  const setProblem = (field: string, message: string) => setProblems([{ field, message }]);

  function submit(e: Event) {
    e.preventDefault();
    setProblems([]);
    if (!keep.size) return setProblem(ids.fields, 'Keep at least one field, or revoke the grant instead.');
    if (!acts.size) return setProblem(ids.actions, 'Keep at least one permission, or revoke the grant instead.');
    const body: { fields?: string[]; actions?: string[]; expiresAt?: string } = {};
    if (keep.size < g.fields.length) body.fields = g.fields.filter((f) => keep.has(f));
    if (acts.size < g.actions.length) body.actions = g.actions.filter((a) => acts.has(a));
    if (until && until < currentEnd) {
      if (until < today) return setProblem(ids.until, 'Choose today or a later day, or revoke the grant instead.');
      // The end of the chosen day, in the customer's own time zone.
      body.expiresAt = new Date(`${until}T23:59:59`).toISOString();
    }
    if (!body.fields && !body.actions && !body.expiresAt)
      return setProblem(ids.fields, 'Untick something or choose an earlier end date to narrow the grant.');
    props.onSave(body);
  }

  return (
    <form class="narrow-form" onSubmit={submit} noValidate>
      <ErrorSummary errors={errors} />
      <fieldset>
        <legend>Fields {g.company.name} may keep using</legend>
        <div class="checks">
          {g.fields.map((f, i) => (
            <label key={f} class="check">
              <input
                id={`keep-${g.id}-${i}`}
                {...(i === 0 ? invalidProps(errors, ids.fields) : {})}
                type="checkbox"
                checked={keep.has(f)}
                onChange={(e) => {
                  const next = new Set(keep);
                  if (e.currentTarget.checked) next.add(f);
                  else next.delete(f);
                  setKeep(next);
                }}
              />
              {labelOf(props.catalogue, f)}
            </label>
          ))}
        </div>
        <FieldMessage errors={errors} field={ids.fields} />
      </fieldset>
      {g.actions.length > 1 && (
        <fieldset>
          <legend>{g.company.name} may</legend>
          <div class="checks">
            {g.actions.map((a, i) => (
              <label key={a} class="check">
                <input
                  id={`act-${g.id}-${i}`}
                  {...(i === 0 ? invalidProps(errors, ids.actions) : {})}
                  type="checkbox"
                  checked={acts.has(a)}
                  onChange={(e) => {
                    const next = new Set(acts);
                    if (e.currentTarget.checked) next.add(a);
                    else next.delete(a);
                    setActs(next);
                  }}
                />
                {a === 'read' ? 'Read these fields' : 'Add records to your vault'}
              </label>
            ))}
          </div>
          <FieldMessage errors={errors} field={ids.actions} />
        </fieldset>
      )}
      <div class="form-row">
        <label for={`until-${g.id}`}>Access ends on</label>
        <input
          id={`until-${g.id}`}
          type="date"
          min={today}
          max={currentEnd}
          {...invalidProps(errors, ids.until, `${ids.until}-hint`)}
          value={until}
          onInput={(e) => setUntil(e.currentTarget.value)}
        />
        <p class="hint" id={`${ids.until}-hint`}>
          You can only shorten a grant. To give more, the company has to ask again.
        </p>
        <FieldMessage errors={errors} field={ids.until} />
      </div>
      {!server && <ProblemAlert error={props.error} />}
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={props.busy}>
          Save narrower grant
        </Button>
        <Button onClick={props.onCancel} disabled={props.busy}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
