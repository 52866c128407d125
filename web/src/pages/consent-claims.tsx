import { Card } from '../ui.tsx';
import type { RequestedClaim } from '../types.ts';

const ANSWER = (a: boolean | null | undefined) =>
  a === true ? 'Yes' : a === false ? 'No' : 'No answer: not filled in';

/**
 * The claims of a request in words: what the company will learn and what it will not, and the answer it
 * would get today from the customer's own profile (the value itself is never shown to the company).
 */
export function ConsentClaims({ claims }: { claims: RequestedClaim[] }) {
  return (
    <Card title="Which answers" id="claims">
      <ul class="consent-claims">
        {claims.map((c) => (
          <li key={c.name} data-claim={c.name}>
            <span class="claim-sentence">{c.sentence}.</span>{' '}
            <span class="claim-answer">
              The answer today: <strong>{ANSWER(c.answer)}</strong>
            </span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
