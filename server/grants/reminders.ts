import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { inTransaction } from '../db/connection.ts';
import { FIELD_CATALOGUE, isFieldName } from '../customers/field-catalogue.ts';
import { inWords, type InboxFacts } from '../customers/inbox.ts';
import type { GrantRow } from './store.ts';
import { toGrant, type Grant } from './service.ts';

const DAY_MS = 86_400_000;

interface Sources {
  readsSince(customerId: string, grantId: string, since: string): number;
  companyName(companyId: string): string;
  insertInbox(row: { id: string; customerId: string; kind: string; body: string; createdAt: string }): void;
}

/**
 * The customer's reminders while a grant lives (ARCHITECTURE.md, "After consent"): every `reminderDays` a message
 * with how often the company read since the last one, with revoke in one step; `expiryNoticeDays` before the end a
 * notice with renew or let it end. Both periods come from policies/after-consent.yaml. The last of each is kept in
 * grant_notices, so a sweep on any server sends each once.
 */
export function createGrantReminders(ctx: Pick<AppContext, 'db' | 'clock' | 'policies'>, d: Sources) {
  const sql = ctx.db.$client;
  const dueReminders = sql.prepare(
    `SELECT g.*, n.sent_at AS lastSent FROM grants g
       LEFT JOIN grant_notices n ON n.grant_id = g.id AND n.kind = 'reminder'
      WHERE g.status = 'active' AND coalesce(n.sent_at, g.created_at) <= ?`,
  );
  const dueExpiry = sql.prepare(
    `SELECT g.* FROM grants g
      WHERE g.status = 'active' AND g.expires_at <= ? AND g.expires_at > ?
        AND NOT EXISTS (SELECT 1 FROM grant_notices n WHERE n.grant_id = g.id AND n.kind = 'expiry')`,
  );
  const mark = sql.prepare(
    `INSERT INTO grant_notices (grant_id, kind, customer_id, sent_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (grant_id, kind) DO UPDATE SET sent_at = excluded.sent_at`,
  );
  // The raw rows use column names; map them onto the drizzle row shape the grant helpers take.
  const rowOf = (r: Record<string, unknown>): GrantRow => ({
    id: r.id as string,
    customerId: r.customer_id as string,
    companyId: r.company_id as string,
    purpose: r.purpose as string,
    fields: r.fields as string,
    actions: r.actions as string,
    records: (r.records as string | null) ?? null,
    claims: (r.claims as string | null) ?? null,
    termsVersion: r.terms_version as number,
    policyVersion: r.policy_version as string,
    status: r.status as GrantRow['status'],
    statusReason: r.status_reason as string | null,
    autoApproved: Boolean(r.auto_approved),
    createdAt: r.created_at as string,
    expiresAt: r.expires_at as string,
    updatedAt: r.updated_at as string,
    statusChangedAt: r.status_changed_at as string | null,
  });
  const what = (g: Grant) =>
    g.fields.map((f) => (isFieldName(f) ? FIELD_CATALOGUE[f].label.toLowerCase() : f)).join(', ');
  // The facts beside the text let the dashboard say it again in the customer's locale (server/customers/inbox.ts).
  const facts = (g: Grant, name: string, extra: Partial<InboxFacts> = {}): InboxFacts => ({
    company: name,
    purpose: g.purpose,
    fields: g.fields,
    actions: g.actions,
    ...extra,
  });
  const tell = (g: Grant, kind: string, title: string, text: string, extra: object = {}) =>
    d.insertInbox({
      id: randomUUID(),
      customerId: g.customerId,
      kind,
      body: JSON.stringify({ title, text, grantId: g.id, companyId: g.companyId, ...extra }),
      createdAt: ctx.clock.now().toISOString(),
    });

  function remind(now: Date): number {
    const { reminderDays } = ctx.policies.afterConsent;
    const before = new Date(now.getTime() - reminderDays * DAY_MS).toISOString();
    const due = dueReminders.all(before) as Record<string, unknown>[];
    for (const raw of due) {
      const g = toGrant(rowOf(raw));
      if (g.expiresAt <= now.toISOString()) continue; // the expiry sweep ends it instead
      const since = (raw.lastSent as string | null) ?? g.createdAt;
      const reads = d.readsSince(g.customerId, g.id, since);
      const name = d.companyName(g.companyId);
      const times = reads === 1 ? 'once' : `${reads} times`;
      inTransaction(ctx.db, () => {
        tell(
          g,
          'grant.reminder',
          `${name} still reads your data`,
          `${name} still reads your ${what(g)} for ${g.purpose.replace(/-/g, ' ')}; it read it ${times} since the last reminder.`,
          { reads, since, facts: facts(g, name, { reads, since, until: g.expiresAt }) },
        );
        mark.run(g.id, 'reminder', g.customerId, now.toISOString());
      });
    }
    return due.length;
  }

  function noticeExpiry(now: Date): number {
    const { expiryNoticeDays } = ctx.policies.afterConsent;
    const horizon = new Date(now.getTime() + expiryNoticeDays * DAY_MS).toISOString();
    const due = (dueExpiry.all(horizon, now.toISOString()) as Record<string, unknown>[]).map((r) => toGrant(rowOf(r)));
    for (const g of due)
      inTransaction(ctx.db, () => {
        const name = d.companyName(g.companyId);
        tell(
          g,
          'grant.expiring',
          `${name}: access ends on ${inWords(g.expiresAt)}`,
          `${name}'s access to your ${what(g)} for ${g.purpose.replace(/-/g, ' ')} ends on ${inWords(g.expiresAt)}. Renew it, or let it end and ${name} will be asked to delete what it received.`,
          { expiresAt: g.expiresAt, facts: facts(g, name, { until: g.expiresAt }) },
        );
        mark.run(g.id, 'expiry', g.customerId, now.toISOString());
      });
    return due.length;
  }

  return {
    /** One sweep (server/db/sweep.ts): reminders and expiry notices now due. */
    sweep: (now: Date) => ({ reminders: remind(now), expiring: noticeExpiry(now) }),
  };
}
