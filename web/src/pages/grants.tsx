import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.ts';
import { formatLongDate, formatRelative, plural } from '../format.ts';
import type { BenefitEntry, Deletion, FieldInfo, Grant, GrantCompany } from '../types.ts';
import { EmptyState, ErrorState, Link, PageHeader, ResourceView, useFieldCatalogue, useResource } from '../ui.tsx';
import { GaveAndGot } from './company-benefits.tsx';
import { GrantItem, STATUS, live } from './grant-card.tsx';
import { PendingRequests } from './requests.tsx';
import { DeletionFacts, OverdueDeletions } from './deletions.tsx';

const byStatus = (a: Grant, b: Grant) =>
  (STATUS[a.status]?.order ?? 9) - (STATUS[b.status]?.order ?? 9) || a.expiresAt.localeCompare(b.expiresAt);

interface CompanyGroup {
  id: string;
  name: string;
  /** A connected product's grants: "Your toothbrush, by Brushco". */
  label?: string;
  currentName?: string;
  grants: Grant[];
  info?: GrantCompany;
}

/** One group per company, the company's name as on its newest grant; companies with live access first. */
function groupByCompany(grants: Grant[], companies: GrantCompany[]): CompanyGroup[] {
  const groups = new Map<string, CompanyGroup>();
  for (const g of [...grants].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
    const group = groups.get(g.company.id) ?? {
      id: g.company.id,
      name: g.company.name,
      label: g.company.label,
      currentName: g.company.currentName,
      grants: [],
      info: companies.find((c) => c.id === g.company.id),
    };
    group.grants.push(g);
    groups.set(g.company.id, group);
  }
  const isLive = (c: CompanyGroup) => (c.grants.some(live) ? 0 : 1);
  return [...groups.values()].sort((a, b) => isLive(a) - isLive(b) || a.name.localeCompare(b.name));
}

/** A part of the page that failed to load, said in words above the problem, with its own Retry. */
function PartFailed(props: { what: string; error: ApiError; onRetry: () => void; children: ComponentChildren }) {
  return (
    <div class="part-failed">
      <p>{props.children}</p>
      <ErrorState error={props.error} onRetry={props.onRetry} what={props.what} />
    </div>
  );
}

/** Who may see what, until when: one card per company, Google-account style, with every grant inside. */
export function GrantsPage() {
  const catalogue = useFieldCatalogue();
  const [res, reloadGrants] = useResource<{ grants: Grant[]; companies?: GrantCompany[] }>('/api/grants');
  const [ledger, reloadLedger] = useResource<{ benefits: BenefitEntry[] }>('/api/benefits');
  const reload = () => {
    reloadGrants();
    reloadLedger();
  };
  // Whether each company deleted what it received once access ended (ARCHITECTURE.md, "After consent").
  const [deletionsRes, reloadDeletions] = useResource<{ deletions: Deletion[] }>('/api/deletions');
  const deletions = deletionsRes.state === 'ok' ? deletionsRes.data.deletions : [];
  const deletionsOf = (companyId: string) => deletions.filter((d) => d.company.id === companyId);
  const entries = ledger.state === 'ok' ? ledger.data.benefits : [];
  const empty = (
    <EmptyState title="No company has access to your data">
      When you approve a company's request, it appears here with what it may use and until when. You can narrow or
      revoke it at any time.
    </EmptyState>
  );
  return (
    <>
      <PageHeader
        title="Grants"
        intro="Each company that may use your data, what for, and until when. Revoking takes effect on the company's very next request."
      >
        <Link href="/connect">Connect a product</Link>
      </PageHeader>
      <PendingRequests compact />
      <OverdueDeletions deletions={deletions} />
      {/* Silence here would read as "nothing overdue, nothing to confirm": a failed load says so, with Retry. */}
      {deletionsRes.state === 'error' && (
        <PartFailed what="deletion requests" onRetry={reloadDeletions} error={deletionsRes.error}>
          Whether companies deleted what they received could not be loaded.
        </PartFailed>
      )}
      {ledger.state === 'error' && (
        <PartFailed what="benefits" onRetry={reloadLedger} error={ledger.error}>
          What companies gave you back could not be loaded.
        </PartFailed>
      )}
      <ResourceView res={res} what="grants" empty={empty} onRetry={reload}>
        {({ grants, companies }) => {
          if (!grants.length) return empty;
          const groups = groupByCompany(grants, companies ?? []);
          const current = groups.filter((c) => c.grants.some(live));
          const past = groups.filter((c) => !c.grants.some(live));
          return (
            <>
              <h2 class="section-title">Companies with access ({current.length})</h2>
              {current.length ? (
                <ul class="grant-list">
                  {current.map((c) => (
                    <CompanyCard
                      key={c.id}
                      group={c}
                      catalogue={catalogue}
                      entries={entries}
                      onChange={reload}
                      deletions={deletionsOf(c.id)}
                    />
                  ))}
                </ul>
              ) : (
                <EmptyState title="No company can read your data right now" />
              )}
              {past.length > 0 && (
                <details class="past">
                  <summary>Companies whose access ended ({past.length})</summary>
                  <ul class="grant-list">
                    {past.map((c) => (
                      <CompanyCard
                        key={c.id}
                        group={c}
                        catalogue={catalogue}
                        entries={entries}
                        onChange={reload}
                        deletions={deletionsOf(c.id)}
                      />
                    ))}
                  </ul>
                </details>
              )}
            </>
          );
        }}
      </ResourceView>
    </>
  );
}

function CompanyCard({
  group: c,
  catalogue,
  entries,
  onChange,
  deletions,
}: {
  group: CompanyGroup;
  catalogue?: FieldInfo[];
  entries: BenefitEntry[];
  onChange: () => void;
  deletions: Deletion[];
}) {
  const headingId = `company-${c.id}`;
  const current = c.grants.filter(live).sort(byStatus);
  const ended = c.grants.filter((g) => !live(g)).sort(byStatus);
  const reads = c.info?.readsLast30Days ?? 0;
  return (
    <li class={`card grant-card company-card ${current.length ? '' : 'company-ended'}`} aria-labelledby={headingId}>
      <div class="company-head">
        <div>
          <h3 id={headingId}>{c.label ?? c.name}</h3>
          {c.currentName && <p class="muted">Now called {c.currentName}</p>}
        </div>
        <Link href={`/reads?company=${encodeURIComponent(c.id)}`} class="company-activity-link">
          See {c.name}'s activity
        </Link>
      </div>
      <dl class="facts company-facts">
        <div>
          <dt>Last read your data</dt>
          <dd>
            {c.info?.lastReadAt ? (
              <>
                {formatLongDate(c.info.lastReadAt)} <span class="muted">({formatRelative(c.info.lastReadAt)})</span>
              </>
            ) : (
              'Never'
            )}
          </dd>
        </div>
        <div>
          <dt>Reads in the last 30 days</dt>
          <dd>{reads ? plural(reads, 'read') : 'None'}</dd>
        </div>
      </dl>
      <DeletionFacts deletions={deletions} />
      <GaveAndGot
        info={c.info}
        entries={entries.filter((e) => e.companyId === c.id)}
        catalogue={catalogue}
        onChange={onChange}
      />
      {current.length > 0 && (
        <ul class="grant-items">
          {current.map((g) => (
            <GrantItem key={g.id} grant={g} name={c.name} company={c.info} catalogue={catalogue} onChange={onChange} />
          ))}
        </ul>
      )}
      {ended.length > 0 &&
        (current.length ? (
          <details class="ended-grants">
            <summary>Ended grants ({ended.length})</summary>
            <ul class="grant-items">
              {ended.map((g) => (
                <GrantItem key={g.id} grant={g} name={c.name} catalogue={catalogue} onChange={onChange} />
              ))}
            </ul>
          </details>
        ) : (
          <ul class="grant-items">
            {ended.map((g) => (
              <GrantItem key={g.id} grant={g} name={c.name} catalogue={catalogue} onChange={onChange} />
            ))}
          </ul>
        ))}
    </li>
  );
}
