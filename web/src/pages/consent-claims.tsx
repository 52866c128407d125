import { Card } from '../ui.tsx';
import type { RequestedClaim } from '../types.ts';

const ANSWER = (a: boolean | null | undefined) =>
  a === true ? 'Yes' : a === false ? 'No' : 'No answer: not filled in';

/**
 * The claims of a request in words, as checkboxes the customer may untick like fields: what the company will
 * learn and what it will not, and the answer it would get today from the customer's own profile (the value
 * itself is never shown to the company).
 */
export function ConsentClaims(props: {
  claims: RequestedClaim[];
  chosen: Set<string>;
  disabled: boolean;
  onChange: (next: Set<string>) => void;
}) {
  return (
    <Card title="Which answers" id="claims">
      <fieldset class="consent-fields">
        <legend class="visually-hidden">Answers to give</legend>
        <p class="hint">Untick any answer you do not want to give.</p>
        <ul class="check-list consent-claims">
          {props.claims.map((c, i) => (
            <li key={c.name} class="check-card" data-claim={c.name}>
              <label class="check">
                <input
                  id={`consent-claim-${i}`}
                  type="checkbox"
                  name="claims"
                  value={c.name}
                  checked={props.chosen.has(c.name)}
                  disabled={props.disabled}
                  onChange={(e) => {
                    const next = new Set(props.chosen);
                    if (e.currentTarget.checked) next.add(c.name);
                    else next.delete(c.name);
                    props.onChange(next);
                  }}
                />
                <span class="check-text claim-sentence">{c.sentence}.</span>
              </label>
              <p class="field-preview claim-answer">
                The answer today: <strong>{ANSWER(c.answer)}</strong>
              </p>
            </li>
          ))}
        </ul>
      </fieldset>
    </Card>
  );
}
