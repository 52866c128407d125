import { saveBlob } from '../api.ts';
import { formatDateTime, formatLongDate, humanise, plural } from '../format.ts';
import type { AuditEvent, Grant, InboxMessage, ProfileValue } from '../types.ts';
import { messageWords } from './inbox-text.ts';
import { Button, Card, EmptyState, PageHeader, ResourceView, labelOf, useFieldCatalogue, useResource } from '../ui.tsx';
import type { FieldInfo } from '../types.ts';
import { STATUS } from './grant-card.tsx';
import { display } from './profile.tsx';

/** GET /api/export, the portability export; only the parts this page puts in words are typed. */
interface VaultExport {
  exportedAt: string;
  account: { handle: string; createdAt: string };
  profile: Record<string, ProfileValue>;
  records: { id: string; companyId: string; category: string; createdAt: string }[];
  grants: Grant[];
  /** The audit events of reads, deposits and refusals, as the trail holds them (company by id). */
  reads: AuditEvent[];
  receipts: { id: string; grantId: string; kind: string; createdAt: string }[];
  inbox: InboxMessage[];
  pendingRequests: unknown[];
}

/** The longest list the page shows in full; the download has everything. */
const SHOWN = 200;

const RECEIPT_KIND: Record<string, string> = {
  created: 'You gave consent',
  amended: 'Your consent was changed',
  revoked: 'Your consent was withdrawn',
  expired: 'Your consent ran out',
};

/**
 * The export read as a person reads it: the same content as the JSON download (which this page offers
 * too, indented so it can be read), with labels for fields, names for companies and dates in the
 * reader's locale.
 */
export function ExportPage() {
  const [res, reload] = useResource<VaultExport>('/api/export');
  const catalogue = useFieldCatalogue();
  return (
    <>
      <PageHeader
        title="Your data"
        intro="Everything the vault holds about you, in words. The same content can be downloaded as a JSON file."
      />
      <ResourceView
        res={res}
        what="your data"
        empty={<EmptyState title="Your data could not be found" />}
        onRetry={reload}
      >
        {(data) => <ExportContent data={data} catalogue={catalogue} />}
      </ResourceView>
    </>
  );
}

function ExportContent({ data, catalogue }: { data: VaultExport; catalogue?: FieldInfo[] }) {
  const names = new Map<string, string>();
  for (const g of data.grants) names.set(g.company.id, g.company.currentName ?? g.company.name);
  const companyName = (id: string) => names.get(id) ?? 'A company';
  const grantCompany = new Map(data.grants.map((g) => [g.id, companyName(g.company.id)]));
  const fieldList = (fs: string[]) => fs.map((f) => labelOf(catalogue, f)).join(', ');
  const profile = Object.entries(data.profile);

  return (
    <>
      <Card title="Download" id="export-download">
        <p class="card-intro">
          Prepared on {formatDateTime(data.exportedAt)}. Your vault handle is <code>{data.account.handle}</code>, and
          your vault was created on {formatLongDate(data.account.createdAt)}.
        </p>
        <Button
          variant="primary"
          onClick={() =>
            saveBlob(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), 'vault-export.json')
          }
        >
          Download as JSON
        </Button>
      </Card>

      <Card title="Your profile" id="export-profile">
        {profile.length === 0 ? (
          <p>Your profile is empty.</p>
        ) : (
          <dl class="export-list">
            {profile.map(([name, v]) => {
              const field = catalogue?.find((f) => f.name === name);
              return (
                <div key={name}>
                  <dt>{labelOf(catalogue, name)}</dt>
                  <dd>
                    {field ? display(field, v.value) : String(v.value)}{' '}
                    <span class="muted">(changed on {formatLongDate(v.updatedAt)})</span>
                  </dd>
                </div>
              );
            })}
          </dl>
        )}
      </Card>

      <Card title="Access you have given" id="export-grants">
        {data.grants.length === 0 ? (
          <p>You have not given any company access.</p>
        ) : (
          <ul class="export-sentences">
            {data.grants.map((g) => (
              <li key={g.id}>
                {companyName(g.company.id)} {g.actions.includes('deposit') ? 'may add to' : 'may read'}{' '}
                {fieldList(g.fields)} for {humanise(g.purpose).toLowerCase()}, from {formatLongDate(g.createdAt)} until{' '}
                {formatLongDate(g.expiresAt)}. {STATUS[g.status]?.label ?? humanise(g.status)}
                {g.statusChangedAt ? ` since ${formatLongDate(g.statusChangedAt)}` : ''}.
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title="Reads of your data" id="export-reads">
        {data.reads.length === 0 ? (
          <p>No company has read your data.</p>
        ) : (
          <>
            <p class="card-intro">{plural(data.reads.length, 'entry', 'entries')}, newest first.</p>
            <ul class="export-sentences">
              {data.reads.slice(0, SHOWN).map((r) => (
                <li key={r.seq}>
                  {formatDateTime(r.time)}: {companyName(r.companyId ?? '')}{' '}
                  {r.action === 'data.deposit' ? 'added' : r.action === 'data.denied' ? 'was refused' : 'read'}{' '}
                  {fieldList(r.fields ?? []) || 'your data'}
                  {r.purpose ? ` for ${humanise(r.purpose).toLowerCase()}` : ''}.
                </li>
              ))}
            </ul>
            {data.reads.length > SHOWN && (
              <p class="muted">The download lists the other {data.reads.length - SHOWN}.</p>
            )}
          </>
        )}
      </Card>

      <Card title="Records companies added" id="export-records">
        {data.records.length === 0 ? (
          <p>No company has added records to your vault.</p>
        ) : (
          <ul class="export-sentences">
            {data.records.slice(0, SHOWN).map((r) => (
              <li key={r.id}>
                {formatLongDate(r.createdAt)}: {companyName(r.companyId)} added a record about your{' '}
                {humanise(r.category).toLowerCase()}.
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title="Consent receipts" id="export-receipts">
        {data.receipts.length === 0 ? (
          <p>You have no consent receipts yet.</p>
        ) : (
          <ul class="export-sentences">
            {data.receipts.map((r) => (
              <li key={r.id}>
                {formatDateTime(r.createdAt)}: {RECEIPT_KIND[r.kind] ?? humanise(r.kind)}
                {grantCompany.has(r.grantId) ? ` (${grantCompany.get(r.grantId)})` : ''}.
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title="Messages" id="export-inbox">
        {data.inbox.length === 0 ? (
          <p>You have no messages.</p>
        ) : (
          <ul class="export-sentences">
            {data.inbox.slice(0, SHOWN).map((m) => {
              const words = messageWords(m, catalogue);
              return (
                <li key={m.id}>
                  {formatDateTime(m.createdAt)}: <strong>{words.title}</strong> {words.text}
                </li>
              );
            })}
          </ul>
        )}
        {data.pendingRequests.length > 0 && (
          <p>{plural(data.pendingRequests.length, 'request is', 'requests are')} waiting for your answer.</p>
        )}
      </Card>
    </>
  );
}
