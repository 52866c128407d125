import type { RequestedRecords } from '../types.ts';
import { Card } from '../ui.tsx';

/** What the customer chose for a records request: how far back, and from which companies. */
export interface RecordChoice {
  window: string;
  sources: 'any' | string[];
}

/** The choice the server needs only when it is narrower than the request (else the request stands). */
export function narrowedRecords(asked: RequestedRecords, chosen: RecordChoice): RecordChoice | undefined {
  const sameSources =
    chosen.sources === asked.sources ||
    (Array.isArray(asked.sources) && Array.isArray(chosen.sources) && chosen.sources.length === asked.sources.length);
  return chosen.window === asked.window && sameSources ? undefined : chosen;
}

/** What would be shared, in words: "purchases from the last 6 months, from Shop A". */
function summary(r: RequestedRecords, c: RecordChoice): string {
  const what = r.categories.map((x) => x.label.toLowerCase()).join(', ');
  const when = r.windows.find((w) => w.value === c.window)?.text ?? r.windowText;
  const names = c.sources === 'any' ? [] : r.sourceChoices.filter((s) => c.sources.includes(s.id)).map((s) => s.name);
  const from =
    c.sources === 'any' ? 'from every company' : names.length ? `from ${names.join(', ')}` : 'from no company';
  return `${what} from ${when}, ${from}`;
}

/**
 * The records a request asks for (issue 15): which categories, how far back and from which companies, in
 * words; the customer may choose a shorter window and fewer sources, never more (the server checks too).
 */
export function ConsentRecords(props: {
  records: RequestedRecords;
  choice: RecordChoice;
  disabled: boolean;
  onChange: (next: RecordChoice) => void;
}) {
  const { records: r, choice: c, disabled } = props;
  const askedAny = r.sources === 'any';
  const chosen = new Set(c.sources === 'any' ? [] : c.sources);
  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    props.onChange({ ...c, sources: r.sourceChoices.map((s) => s.id).filter((s) => next.has(s)) });
  };
  return (
    <Card title="Which records" id="records">
      <p>It asks for: {r.sentence}.</p>
      <div class="form-row">
        <label for="records-window">How far back</label>
        <select
          id="records-window"
          value={c.window}
          disabled={disabled}
          onChange={(e) => props.onChange({ ...c, window: e.currentTarget.value })}
        >
          {r.windows.map((w) => (
            <option key={w.value} value={w.value}>
              {w.text}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="consent-fields">
        <legend>From which companies</legend>
        {askedAny && (
          <ul class="check-list">
            <li class="check-card">
              <label class="check">
                <input
                  type="radio"
                  name="records-sources"
                  checked={c.sources === 'any'}
                  disabled={disabled}
                  onChange={() => props.onChange({ ...c, sources: 'any' })}
                />
                <span class="check-text">From every company</span>
              </label>
            </li>
            <li class="check-card">
              <label class="check">
                <input
                  type="radio"
                  name="records-sources"
                  checked={c.sources !== 'any'}
                  disabled={disabled || r.sourceChoices.length === 0}
                  onChange={() => props.onChange({ ...c, sources: r.sourceChoices.map((s) => s.id) })}
                />
                <span class="check-text">Only from the companies I choose</span>
              </label>
            </li>
          </ul>
        )}
        {c.sources !== 'any' && (
          <ul class="check-list" aria-label="Companies">
            {r.sourceChoices.map((s, i) => (
              <li key={s.id} class="check-card">
                <label class="check">
                  <input
                    id={`records-source-${i}`}
                    type="checkbox"
                    checked={chosen.has(s.id)}
                    disabled={disabled}
                    onChange={(e) => toggle(s.id, e.currentTarget.checked)}
                  />
                  <span class="check-text">From {s.name}</span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <p class="hint" aria-live="polite">
        You would share {summary(r, c)}.
      </p>
    </Card>
  );
}
