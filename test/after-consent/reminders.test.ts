import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueQueries } from '../../server/grants/reminders.ts';
import { copyPolicies } from '../support/policy-fixtures.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { auditRows, rowsOf, runSql } from '../support/rows.ts';
import { ON_POSTGRES } from '../support/test-database.ts';

const DAY = 86_400_000;
let v: RunningVault;
let shop: RegisteredCompany;
beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Northwind Reminders' });
});
afterAll(async () => v.close());

/** A customer who signs in again after the clock moved past their session's life. */
async function customer() {
  const email = uniqueEmail('rem');
  const c = await new Customer(v.url).signUp(email);
  await c.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59' });
  return Object.assign(c, { again: async () => expect((await c.signIn(email)).status).toBe(200) });
}
const messages = async (c: Customer, kind: string) =>
  ((await c.call('GET', '/api/inbox')).body.messages as { kind: string; body: any }[]).filter((m) => m.kind === kind);

const deletions = async (c: Customer) => {
  await (c as Awaited<ReturnType<typeof customer>>).again();
  return (await c.call('GET', '/api/deletions')).body.deletions;
};

describe('the 90-day reminder (policies/after-consent.yaml reminderDays)', () => {
  it('when 90 days pass, then the inbox says how often the company read since the last reminder, once per period, and revoke is one step', async () => {
    const c = await customer();
    const t = await obtainTokens(v, shop, c, { fields: ['email'], purpose: 'customer-support', duration: 'P365D' });
    for (let i = 0; i < 3; i++) expect((await readData(v, t.access_token, c.handle)).status).toBe(200);
    v.clock.advance(89 * DAY);
    await v.vault.sweep();
    await c.again();
    expect(await messages(c, 'grant.reminder')).toEqual([]);
    v.clock.advance(DAY);
    await v.vault.sweep();
    await v.vault.sweep();
    await c.again();
    const [first, ...more] = await messages(c, 'grant.reminder');
    expect(more).toEqual([]);
    expect(first!.body).toMatchObject({ grantId: t.grant_id, reads: 3 });
    expect(first!.body.text).toBe(
      'Northwind Reminders still reads your e-mail address for customer support; it read it 3 times since the last reminder.',
    );
    v.clock.advance(90 * DAY);
    await v.vault.sweep();
    await c.again();
    const latest = (await messages(c, 'grant.reminder'))[0]!;
    expect(latest.body.reads).toBe(0);
    expect(latest.body.text).toMatch(/it read it 0 times since the last reminder\.$/);
    // Revoke in one step, as the message offers.
    expect((await c.call('DELETE', `/api/grants/${latest.body.grantId}`)).status).toBe(204);
    expect((await c.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('revoked');
  });
});

describe('the notice before a grant ends (expiryNoticeDays)', () => {
  it('when 7 days remain, then the customer is told once, and renewing decides again and runs the grant for its length from now', async () => {
    const c = await customer();
    const t = await obtainTokens(v, shop, c, { fields: ['email'], duration: 'P30D' });
    v.clock.advance(22 * DAY);
    await v.vault.sweep();
    await c.again();
    expect(await messages(c, 'grant.expiring')).toEqual([]);
    v.clock.advance(DAY + 1000);
    await v.vault.sweep();
    await v.vault.sweep();
    await c.again();
    const notices = await messages(c, 'grant.expiring');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body).toMatchObject({ grantId: t.grant_id });
    const r = await c.call('POST', `/api/grants/${t.grant_id}/renew`);
    expect(r.status).toBe(200);
    expect(r.body.expiresAt).toBe(new Date(v.clock.now().getTime() + 30 * DAY).toISOString());
    const approvals = (await auditRows(v)).filter((e) => e.grantId === t.grant_id && e.action === 'grant.approved');
    expect(approvals).toHaveLength(2);
    // The grant keeps its id: the company's next refresh carries the new end, past the old one.
    const refresh = async (token: string) => {
      const r = await form(
        `${v.url}/token`,
        { grant_type: 'refresh_token', refresh_token: token },
        { authorization: shop.basic() },
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { access_token: string; refresh_token: string };
    };
    const next = await refresh(t.refresh_token);
    v.clock.advance(8 * DAY);
    await v.vault.sweep();
    const later = await refresh(next.refresh_token);
    expect((await readData(v, later.access_token, c.handle)).status).toBe(200);
    expect((await deletions(c)).filter((d: any) => d.grantId === t.grant_id)).toEqual([]);
  });

  it('when the customer lets it end, then it expires and the company is asked to delete', async () => {
    const c = await customer();
    const t = await obtainTokens(v, shop, c, { fields: ['email'], duration: 'P10D' });
    v.clock.advance(11 * DAY);
    await v.vault.sweep();
    await c.again();
    expect((await c.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('expired');
    const mine = (await c.call('GET', '/api/deletions')).body.deletions;
    expect(mine).toMatchObject([{ grantId: t.grant_id, cause: 'expired', status: 'open' }]);
    expect((await c.call('POST', `/api/grants/${t.grant_id}/renew`)).status).toBe(409);
  });

  it('when renewing an unknown grant or a malformed id, then 404 and 400', async () => {
    const c = await customer();
    expect((await c.call('POST', '/api/grants/00000000-0000-4000-8000-000000000000/renew')).status).toBe(404);
    expect((await c.call('POST', '/api/grants/nope/renew')).status).toBe(400);
  });
});

describe('platform policy: suspend a company with overdue deletions (deletion.suspendOtherGrantsWhenOverdue)', () => {
  it('when the policy says so and a deletion is overdue, then the company’s other live grants are suspended', async () => {
    const dir = copyPolicies({
      file: 'after-consent.yaml',
      change: (s) => s.replace('suspendOtherGrantsWhenOverdue: false', 'suspendOtherGrantsWhenOverdue: true'),
    });
    const w = await startVault({ policiesDir: dir });
    try {
      const co = await registerCompany(w);
      const a = await new Customer(w.url).signUp(uniqueEmail('a'));
      const b = await new Customer(w.url).signUp(uniqueEmail('b'));
      const ended = await obtainTokens(w, co, a, { fields: ['email'] });
      const live = await obtainTokens(w, co, b, { fields: ['email'], purpose: 'customer-support', duration: 'P365D' });
      expect((await a.call('DELETE', `/api/grants/${ended.grant_id}`)).status).toBe(204);
      w.clock.advance(31 * DAY);
      await w.vault.sweep();
      expect((await w.vault.services.grants.store.byId(live.grant_id))!.status).toBe('suspended');
      const suspended = (await auditRows(w)).filter(
        (e) => e.grantId === live.grant_id && e.action === 'grant.suspended',
      );
      expect(suspended.map((e) => JSON.parse(e.body).reasons)).toEqual([
        [{ code: 'status-reason', message: 'The company has an overdue deletion request' }],
      ]);
    } finally {
      await w.close();
    }
  });
});

describe("the sweep's queries (migration 0021_reminder_index)", () => {
  it.each(['reminders', 'expiry'] as const)(
    'when the sweep asks for due %s, then the database searches live grants by the grants_status_expires index, never scanning all grants',
    async (which) => {
      const { sql, params } = dueQueries(v.ctx.backend)[which].toSQL();
      // The plan does not depend on the values: placeholders are bound to any string.
      const values = params.map((p) => (typeof p === 'string' ? p : '2026-01-01T00:00:00.000Z'));
      if (!ON_POSTGRES) {
        const plan = (await rowsOf<{ detail: string }>(v, `EXPLAIN QUERY PLAN ${sql}`, ...values)).map((r) => r.detail);
        expect(plan).toContainEqual(
          expect.stringMatching(/^SEARCH grants USING INDEX grants_status_expires \(status=\? AND expires_at>\?/),
        );
        expect(plan.filter((d) => /^SCAN grants\b/.test(d))).toEqual([]);
        return;
      }
      // A test database holds a handful of grants, where a sequential scan is cheapest: with it priced out, the
      // plan shows whether the index serves the query at all.
      const plan = await v.ctx.backend.inTransaction(async () => {
        await runSql(v, 'SET LOCAL enable_seqscan = off');
        return (await rowsOf<{ 'QUERY PLAN': string }>(v, `EXPLAIN ${sql}`, ...values)).map((r) => r['QUERY PLAN']);
      });
      expect(plan.join('\n')).toMatch(
        /Index (Only )?Scan using grants_status_expires on grants|Bitmap Index Scan on grants_status_expires/,
      );
      expect(plan.filter((d) => /Seq Scan on grants\b/.test(d))).toEqual([]);
    },
  );
});
