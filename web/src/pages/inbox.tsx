import { useState } from 'preact/hooks';
import { ApiError, get, saveBlob } from '../api.ts';
import { humanise } from '../format.ts';
import type { InboxMessage, Receipt } from '../types.ts';
import { Badge, Button, Card, DateTime, EmptyState, PageHeader, ProblemAlert, ResourceView, useResource } from '../ui.tsx';
import { PendingRequests } from './requests.tsx';

/** Requests waiting for a decision, messages from the vault (suspensions, receipts), and receipts. */
export function InboxPage() {
  const [res] = useResource<{ messages: InboxMessage[] }>('/api/inbox');
  const empty = <EmptyState title="Your inbox is empty">The vault tells you here when a grant changes, for example when a company's new terms suspend it.</EmptyState>;
  return (
    <>
      <PageHeader title="Inbox" intro="Requests that wait for you, and what the vault has to tell you about your grants." />
      <PendingRequests />
      <Card title="Messages" id="messages">
        <ResourceView res={res} what="messages" empty={empty}>
          {({ messages }) =>
            messages.length ? (
              <ul class="message-list">
                {[...messages]
                  .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
                  .map((m) => (
                    <Message key={m.id} m={m} />
                  ))}
              </ul>
            ) : (
              empty
            )
          }
        </ResourceView>
      </Card>
      <Receipts />
    </>
  );
}

function Message({ m }: { m: InboxMessage }) {
  return (
    <li class={`message ${m.readAt ? '' : 'unread'}`}>
      <div class="message-head">
        <h3>
          {!m.readAt && <span class="visually-hidden">Unread: </span>}
          {m.body.title}
        </h3>
        <DateTime iso={m.createdAt} relative />
      </div>
      <p>{m.body.text}</p>
      {m.body.receiptId && <ReceiptDownload id={m.body.receiptId} label="Download the receipt" />}
    </li>
  );
}

async function fetchReceipt(id: string): Promise<Receipt> {
  return get<Receipt>(`/api/receipts/${encodeURIComponent(id)}`);
}

function ReceiptDownload({ id, jws, label }: { id: string; jws?: string; label: string }) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  async function save() {
    setBusy(true);
    setError(undefined);
    try {
      const token = jws ?? (await fetchReceipt(id)).jws;
      saveBlob(new Blob([token], { type: 'application/jose' }), `consent-receipt-${id}.jws`);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <Button variant="ghost" busy={busy} onClick={() => void save()}>
        {label}
      </Button>
      <ProblemAlert error={error} />
    </>
  );
}

/** Signed consent receipts (JWS) for every grant created, changed, revoked or expired. */
function Receipts() {
  const [res] = useResource<{ receipts: Receipt[] }>('/api/receipts');
  const empty = <EmptyState title="No receipts yet">Each time you approve, narrow or revoke a grant, you receive a signed receipt you can keep as proof.</EmptyState>;
  return (
    <Card title="Consent receipts" id="receipts">
      <p class="muted card-intro">Receipts are signed by the vault. Anyone can check them against its published keys.</p>
      <ResourceView res={res} what="receipts" empty={empty}>
        {({ receipts }) =>
          receipts.length ? (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Company</th>
                    <th scope="col">Event</th>
                    <th scope="col">
                      <span class="visually-hidden">Download</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {receipts.map((r) => (
                    <tr key={r.id}>
                      <td class="nowrap">
                        <DateTime iso={r.createdAt} />
                      </td>
                      <td>{r.company.name}</td>
                      <td>
                        <Badge>{humanise(r.kind)}</Badge>
                      </td>
                      <td class="cell-actions">
                        <ReceiptDownload id={r.id} jws={r.jws} label="Download" />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            empty
          )
        }
      </ResourceView>
    </Card>
  );
}
