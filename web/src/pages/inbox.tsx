import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { humanise, plural } from '../format.ts';
import { setUnread } from '../unread.ts';
import type { InboxMessage, Receipt } from '../types.ts';
import {
  Badge,
  Button,
  Card,
  DateTime,
  EmptyState,
  Link,
  PageHeader,
  ProblemAlert,
  ResourceView,
  useFieldCatalogue,
  useResource,
  type Tone,
} from '../ui.tsx';
import { messageWords } from './inbox-text.ts';
import { PendingRequests } from './requests.tsx';
import { RECEIPT_KIND, ReceiptDetails, ReceiptDownload } from './receipt.tsx';
import { RenewNow } from './renew-now.tsx';

/** Requests waiting for a decision, messages from the vault (every grant change), and receipts. */
export function InboxPage() {
  const [res, reload] = useResource<{ messages: InboxMessage[] }>('/api/inbox');
  return (
    <>
      <PageHeader
        title="Inbox"
        intro="Requests that wait for you, and what the vault has to tell you about your grants."
      />
      <PendingRequests />
      <ResourceView res={res} what="messages" empty={<Messages initial={[]} />} onRetry={reload}>
        {({ messages }) => <Messages initial={messages} />}
      </ResourceView>
      <Receipts />
    </>
  );
}

/** How each grant change looks in the list; the server's title says what happened. */
const KIND: Record<string, { label: string; tone: Tone }> = {
  'grant.approved': { label: 'Approved', tone: 'good' },
  'grant.narrowed': { label: 'Narrowed', tone: 'info' },
  'grant.suspended': { label: 'Suspended', tone: 'warn' },
  'grant.revoked': { label: 'Revoked', tone: 'bad' },
  'grant.expired': { label: 'Expired', tone: 'neutral' },
  'grant.terms-worse': { label: 'Terms changed', tone: 'warn' },
  'request.refused': { label: 'Refused for you', tone: 'bad' },
  'request.pending': { label: 'Waiting for you', tone: 'info' },
  'grant.reminder': { label: 'Reminder', tone: 'info' },
  'grant.expiring': { label: 'Ending soon', tone: 'warn' },
  'deletion.confirmed': { label: 'Deleted', tone: 'good' },
  'deletion.overdue': { label: 'Deletion overdue', tone: 'bad' },
  'device.attention': { label: 'Your device', tone: 'warn' },
  'records.full': { label: 'Vault full', tone: 'warn' },
};

function Messages({ initial }: { initial: InboxMessage[] }) {
  const [messages, setMessages] = useState(() => [...initial].sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const unread = messages.filter((m) => !m.readAt);
  useEffect(() => setUnread(unread.length), [unread.length]);

  /** Marks messages read on the server, then here (POST /api/inbox/:id/read answers 204). */
  async function markRead(ids: string[]) {
    setError(undefined);
    const done: string[] = [];
    try {
      for (const id of ids) {
        await api('POST', `/api/inbox/${encodeURIComponent(id)}/read`);
        done.push(id);
      }
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    }
    const at = new Date().toISOString();
    setMessages((ms) => ms.map((m) => (done.includes(m.id) ? { ...m, readAt: at } : m)));
  }

  function toggle(m: InboxMessage) {
    const opening = open !== m.id;
    setOpen(opening ? m.id : undefined);
    if (opening && !m.readAt) void markRead([m.id]);
  }

  const empty = (
    <EmptyState title="Your inbox is empty">
      The vault tells you here whenever a grant changes: approved, narrowed, revoked, expired or suspended by a
      company's new terms; when a company's new terms are worse for you; and when your criteria refused a request for
      you.
    </EmptyState>
  );
  return (
    <Card
      title="Messages"
      id="messages"
      actions={
        unread.length > 0 && (
          <>
            <Badge tone="info">{plural(unread.length, 'unread message')}</Badge>
            <Button variant="ghost" onClick={() => void markRead(unread.map((m) => m.id))}>
              Mark all as read
            </Button>
          </>
        )
      }
    >
      <ProblemAlert error={error} />
      {messages.length ? (
        <ul class="message-list">
          {messages.map((m) => (
            <Message key={m.id} m={m} open={open === m.id} onToggle={() => toggle(m)} />
          ))}
        </ul>
      ) : (
        empty
      )}
    </Card>
  );
}

function Message({ m, open, onToggle }: { m: InboxMessage; open: boolean; onToggle: () => void }) {
  const words = messageWords(m, useFieldCatalogue());
  const kind = KIND[m.kind] ?? { label: humanise(m.kind.replace(/^(grant|request)\./, '')), tone: 'neutral' as Tone };
  const bodyId = `message-${m.id}`;
  return (
    <li class={`message ${m.readAt ? '' : 'unread'} ${open ? 'open' : ''}`} data-kind={m.kind}>
      <h3 class="message-head">
        <button
          type="button"
          class="message-toggle"
          aria-expanded={open ? 'true' : 'false'}
          aria-controls={bodyId}
          onClick={onToggle}
        >
          <span class="message-title">
            {!m.readAt && <span class="visually-hidden">Unread: </span>}
            {words.title}
          </span>
          <Badge tone={kind.tone}>{kind.label}</Badge>
          <DateTime iso={m.createdAt} relative />
        </button>
      </h3>
      <p class="message-text">{words.text}</p>
      {(m.kind === 'grant.terms-worse' || m.kind === 'grant.reminder') && m.body.grantId && (
        <RevokeNow grantId={m.body.grantId} about={words.title} />
      )}
      {m.kind === 'grant.expiring' && m.body.grantId && <RenewNow grantId={m.body.grantId} about={words.title} />}
      {open && (
        <div class="message-body" id={bodyId}>
          {m.body.receiptId && <ReceiptDetails id={m.body.receiptId} />}
          {m.body.criteria === true && (
            <p class="message-links">
              <Link href="/settings#criteria">Change your criteria</Link>
              {m.body.companyId && (
                <>
                  {' · '}
                  <Link href={`/reads?company=${encodeURIComponent(m.body.companyId)}`}>
                    See this company's activity
                  </Link>
                </>
              )}
            </p>
          )}
          {m.kind === 'grant.suspended' ? (
            <p class="message-links">
              <Link href="/grants">Re-approve or revoke it on your grants page</Link>
            </p>
          ) : (
            m.body.grantId && (
              <p class="message-links">
                <Link href="/grants">See your grants</Link>
              </p>
            )
          )}
        </div>
      )}
    </li>
  );
}

/**
 * The one-step revoke offered with a company's worse terms: the message already says what changed and
 * what revoking means, so one click ends the grant (the grants page still lists it, as revoked).
 */
function RevokeNow({ grantId, about }: { grantId: string; about: string }) {
  const [state, setState] = useState<'idle' | 'busy' | 'done'>('idle');
  const [error, setError] = useState<ApiError>();
  async function revoke() {
    setState('busy');
    setError(undefined);
    try {
      await api('DELETE', `/api/grants/${encodeURIComponent(grantId)}`);
      setState('done');
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
      setState('idle');
    }
  }
  if (state === 'done') return <p class="message-links">Access revoked.</p>;
  return (
    <div class="message-links">
      <Button
        variant="danger"
        busy={state === 'busy'}
        disabled={state === 'busy'}
        onClick={() => void revoke()}
        aria-label={`Revoke access (${about})`}
      >
        Revoke access
      </Button>
      <ProblemAlert error={error} />
    </div>
  );
}

/** Signed consent receipts (JWS) for every grant created, changed, revoked or expired. */
function Receipts() {
  const [res, reload] = useResource<{ receipts: Receipt[] }>('/api/receipts');
  const [open, setOpen] = useState<string>();
  const empty = (
    <EmptyState title="No receipts yet">
      Each time you approve, narrow or revoke a grant, you receive a signed receipt you can keep as proof.
    </EmptyState>
  );
  return (
    <Card title="Consent receipts" id="receipts">
      <p class="muted card-intro">
        Receipts are signed by the vault. Anyone can check them against its published keys.
      </p>
      <ResourceView res={res} what="receipts" empty={empty} onRetry={reload}>
        {({ receipts }) =>
          receipts.length ? (
            <div class="table-wrap">
              <table class="table table-stack receipts-table">
                <caption class="visually-hidden">Your consent receipts, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Company</th>
                    <th scope="col">Event</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {receipts.map((r) => (
                    <ReceiptRow
                      key={r.id}
                      r={r}
                      open={open === r.id}
                      onToggle={() => setOpen(open === r.id ? undefined : r.id)}
                    />
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

function ReceiptRow({ r, open, onToggle }: { r: Receipt; open: boolean; onToggle: () => void }) {
  const detailsId = `receipt-${r.id}`;
  return (
    <>
      <tr class={open ? 'row-open' : undefined}>
        <td class="nowrap">
          <DateTime iso={r.createdAt} />
        </td>
        <td>{r.company.name}</td>
        <td>
          <Badge>{RECEIPT_KIND[r.kind] ?? humanise(r.kind)}</Badge>
        </td>
        <td class="cell-actions">
          <Button
            variant="ghost"
            onClick={onToggle}
            aria-expanded={open ? 'true' : 'false'}
            aria-controls={detailsId}
            aria-label={`${open ? 'Hide' : 'View'} ${r.company.name}'s receipt of ${new Date(r.createdAt).toLocaleString()}`}
          >
            {open ? 'Hide' : 'View'}
          </Button>
          <ReceiptDownload
            id={r.id}
            jws={r.jws}
            label="Download"
            ariaLabel={`Download ${r.company.name}'s receipt of ${new Date(r.createdAt).toLocaleString()}`}
          />
        </td>
      </tr>
      {open && (
        <tr class="row-details" id={detailsId}>
          <td colSpan={4}>
            <ReceiptDetails id={r.id} download={false} />
          </td>
        </tr>
      )}
    </>
  );
}
