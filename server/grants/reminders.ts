import { randomUUID } from 'node:crypto';
import { and, eq, gt, lte, notExists, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';
import { FIELD_CATALOGUE, isFieldName } from '../customers/field-catalogue.ts';
import { inWords, type InboxFacts } from '../customers/inbox.ts';
import { toGrant, type Grant } from './service.ts';

const DAY_MS = 86_400_000;

interface Sources {
  readsSince(customerId: string, grantId: string, since: string): Promise<number>;
  companyName(companyId: string): Promise<string>;
  insertInbox(row: {
    id: string;
    customerId: string;
    kind: string;
    body: string;
    createdAt: string;
  }): void | Promise<void>;
}

/**
 * The sweep's two questions, as drizzle queries so rows come in the grant's own shape. Both search the
 * grants_status_expires index (status = 'active', expires_at in range) instead of scanning every grant ever
 * made (migration 0021; test/after-consent/reminders.test.ts checks the plan). A grant past its end is left to the
 * expiry sweep, which ends it.
 */
export function dueQueries(b: Backend) {
  const { grants, grantNotices } = b.t;
  const db = b.q();
  const live = (now: ReturnType<typeof sql.placeholder>) => and(eq(grants.status, 'active'), gt(grants.expiresAt, now));
  return {
    /** Live grants whose last reminder (or, before the first, their start) is at or before `before`. */
    reminders: db
      .select({ grant: grants, lastSent: grantNotices.sentAt })
      .from(grants)
      .leftJoin(grantNotices, and(eq(grantNotices.grantId, grants.id), eq(grantNotices.kind, 'reminder')))
      .where(
        and(
          live(sql.placeholder('now')),
          lte(sql`coalesce(${grantNotices.sentAt}, ${grants.createdAt})`, sql.placeholder('before')),
        ),
      ),
    /** Live grants ending by `horizon` that have had no expiry notice. */
    expiry: db
      .select()
      .from(grants)
      .where(
        and(
          live(sql.placeholder('now')),
          lte(grants.expiresAt, sql.placeholder('horizon')),
          notExists(
            db
              .select({ one: sql`1` })
              .from(grantNotices)
              .where(and(eq(grantNotices.grantId, grants.id), eq(grantNotices.kind, 'expiry'))),
          ),
        ),
      ),
  };
}

/**
 * The customer's reminders while a grant lives (ARCHITECTURE.md, "After consent"): every `reminderDays` a message
 * with how often the company read since the last one, with revoke in one step; `expiryNoticeDays` before the end a
 * notice with renew or let it end. Both periods come from policies/after-consent.yaml. The last of each is kept in
 * grant_notices, so a sweep on any server sends each once.
 */
export function createGrantReminders(ctx: Pick<AppContext, 'backend' | 'clock' | 'policies'>, d: Sources) {
  // Built and prepared at call time, on the connection of the moment (a sweep, not a hot path). PostgreSQL names
  // its prepared statements; SQLite's prepare takes no name.
  const dueReminders = (at: { before: string; now: string }) =>
    dueQueries(ctx.backend).reminders.prepare('grant_reminders_due').execute(at);
  const dueExpiry = (at: { horizon: string; now: string }) =>
    dueQueries(ctx.backend).expiry.prepare('grant_expiry_due').execute(at);
  const mark = rawStatement(
    ctx.backend,
    `INSERT INTO grant_notices (grant_id, kind, customer_id, sent_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (grant_id, kind) DO UPDATE SET sent_at = excluded.sent_at`,
  );
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

  async function remind(now: Date): Promise<number> {
    const { reminderDays } = ctx.policies.afterConsent;
    const before = new Date(now.getTime() - reminderDays * DAY_MS).toISOString();
    const rows = await dueReminders({ before, now: now.toISOString() });
    for (const row of rows) {
      const g = toGrant(row.grant);
      const since = row.lastSent ?? g.createdAt;
      const reads = await d.readsSince(g.customerId, g.id, since);
      const name = await d.companyName(g.companyId);
      const times = reads === 1 ? 'once' : `${reads} times`;
      await ctx.backend.inTransaction(async () => {
        await tell(
          g,
          'grant.reminder',
          `${name} still reads your data`,
          `${name} still reads your ${what(g)} for ${g.purpose.replace(/-/g, ' ')}; it read it ${times} since the last reminder.`,
          { reads, since, facts: facts(g, name, { reads, since, until: g.expiresAt }) },
        );
        await mark.run(g.id, 'reminder', g.customerId, now.toISOString());
      });
    }
    return rows.length;
  }

  async function noticeExpiry(now: Date): Promise<number> {
    const { expiryNoticeDays } = ctx.policies.afterConsent;
    const horizon = new Date(now.getTime() + expiryNoticeDays * DAY_MS).toISOString();
    const due = (await dueExpiry({ horizon, now: now.toISOString() })).map(toGrant);
    for (const g of due)
      await ctx.backend.inTransaction(async () => {
        const name = await d.companyName(g.companyId);
        await tell(
          g,
          'grant.expiring',
          `${name}: access ends on ${inWords(g.expiresAt)}`,
          `${name}'s access to your ${what(g)} for ${g.purpose.replace(/-/g, ' ')} ends on ${inWords(g.expiresAt)}. Renew it, or let it end and ${name} will be asked to delete what it received.`,
          { expiresAt: g.expiresAt, facts: facts(g, name, { until: g.expiresAt }) },
        );
        await mark.run(g.id, 'expiry', g.customerId, now.toISOString());
      });
    return due.length;
  }

  return {
    /** One sweep (server/db/sweep.ts): reminders and expiry notices now due. */
    sweep: async (now: Date) => ({ reminders: await remind(now), expiring: await noticeExpiry(now) }),
  };
}
