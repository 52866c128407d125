import { humanise, plural } from '../format.ts';
import { valueTagLabel } from '../labels.ts';
import type { ConsentRequest } from '../types.ts';
import { Badge } from '../ui.tsx';

/** Onward sharing in plain words: with whom, in the company's own words, or that it declared none. */
export function OnwardSharing({ terms }: { terms: ConsentRequest['company']['terms'] }) {
  if (!terms.sharesOnward)
    return (
      <>
        <Badge tone="good">No</Badge> It declares that it shares your data with no one else.
      </>
    );
  if (terms.onwardRecipients)
    return (
      <>
        <Badge tone="warn">Yes</Badge> With, in its words: <q class="break">{terms.onwardRecipients}</q>
      </>
    );
  return (
    <>
      <Badge tone="warn">Yes</Badge> It does not say with whom.
    </>
  );
}

/**
 * The company's terms beside (on a phone: before) the Approve and Deny buttons, and the identifiers that
 * only an auditor needs behind a "Technical details" disclosure.
 */
export function ConsentTerms({ req }: { req: ConsentRequest }) {
  const { company, decision } = req;
  const terms = company.terms;
  return (
    <aside class="consent-side" aria-labelledby="terms-title">
      <section class="card">
        <h2 id="terms-title">{company.name}'s terms</h2>
        <dl class="terms">
          <div>
            <dt>Keeps your data for</dt>
            <dd>{plural(terms.retentionDays, 'day')}</dd>
          </div>
          <div>
            <dt>Shares it with others</dt>
            <dd>
              <OnwardSharing terms={terms} />
            </dd>
          </div>
          <div>
            <dt>What you get in return</dt>
            <dd>
              {terms.benefit && terms.benefit.kind !== 'none'
                ? `${humanise(terms.benefit.kind)}${terms.benefit.description ? `: ${terms.benefit.description}` : ''}`
                : 'Nothing declared'}
            </dd>
          </div>
          {terms.valueTags && terms.valueTags.length > 0 && (
            <div>
              <dt>Commitments</dt>
              <dd>
                <ul class="chips">
                  {terms.valueTags.map((t) => (
                    <li class="chip" key={t}>
                      {valueTagLabel(t)}
                    </li>
                  ))}
                </ul>
              </dd>
            </div>
          )}
          {terms.contact && (
            <div>
              <dt>Contact</dt>
              <dd class="break">{terms.contact}</dd>
            </div>
          )}
        </dl>
        <details class="tech-details">
          <summary>Technical details</summary>
          <dl class="terms">
            <div>
              <dt>Request</dt>
              <dd class="break mono">{req.id}</dd>
            </div>
            {decision?.policyVersion && (
              <div>
                <dt>Checked against policy</dt>
                <dd class="break mono">{decision.policyVersion}</dd>
              </div>
            )}
            <div>
              <dt>Terms version</dt>
              <dd>{String(terms.version)}</dd>
            </div>
          </dl>
        </details>
      </section>
    </aside>
  );
}
