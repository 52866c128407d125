import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { verifySet } from '../support/event-receiver.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { auditRows } from '../support/rows.ts';

let v: RunningVault;
let alice: Customer;
beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59' });
});
afterAll(async () => v.close());

async function managementToken(c: RegisteredCompany) {
  const r = await form(
    `${v.url}/token`,
    { grant_type: 'client_credentials', scope: 'grant_management' },
    { authorization: c.basic() },
  );
  return r.body.access_token as string;
}
async function poll(token: string, body: unknown) {
  const res = await fetch(`${v.url}/company/events/poll`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}
const outbox = () => v.ctx.backend.q().select().from(v.ctx.backend.t.eventOutbox);
const pending = async () => (await outbox()).filter((e) => !e.settledAt).length;

describe('polling for grant events (RFC 8936)', () => {
  it('when a company without an endpoint polls, then it gets its SETs in order, again until acknowledged', async () => {
    const shop = await registerCompany(v);
    const token = await managementToken(shop);
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'] });
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);

    const first = await poll(token, { maxEvents: 1, returnImmediately: true });
    expect(first.status).toBe(200);
    const [jti1] = Object.keys(first.body.sets);
    expect(first.body.moreAvailable).toBe(true);
    const created = await verifySet(v, first.body.sets[jti1!], shop.clientId);
    expect(created.type.endsWith('/grant-created')).toBe(true);
    expect(created.payload.jti).toBe(jti1);

    // Not acknowledged: handed out again.
    expect(Object.keys((await poll(token, { maxEvents: 1 })).body.sets)).toEqual([jti1]);

    const second = await poll(token, { ack: [jti1], maxEvents: 10 });
    const [jti2, jti3] = Object.keys(second.body.sets);
    expect(second.body.moreAvailable).toBe(false);
    expect((await verifySet(v, second.body.sets[jti2!], shop.clientId)).event).toMatchObject({
      grant_id: t.grant_id,
      status: 'revoked',
    });
    // The revocation opened a deletion request (issue 17), announced in the same transaction.
    const deletion = await verifySet(v, second.body.sets[jti3!], shop.clientId);
    expect(deletion.type.endsWith('/deletion-requested')).toBe(true);
    const [request] = (
      await (await fetch(`${v.url}/company/deletions`, { headers: { authorization: `Bearer ${token}` } })).json()
    ).deletions;
    expect(deletion.event).toMatchObject({ grant_id: t.grant_id, deletion_id: request.id, fields: ['phone'] });
    expect(deletion.event.deadline).toBe(request.dueAt);
    expect(await poll(token, { ack: [jti2, jti3] })).toMatchObject({
      status: 200,
      body: { sets: {}, moreAvailable: false },
    });

    const audited = (await auditRows(v))
      .filter((e) => e.companyId === shop.clientId && e.action === 'event.delivered')
      .map((e) => JSON.parse(e.body).detail);
    expect(audited).toHaveLength(3);
    expect(audited).toEqual([
      expect.objectContaining({ jti: jti1, mode: 'poll', outcome: 'acknowledged' }),
      // One poll acknowledged the last two; the trail records them in the order it settled them.
      ...[jti2, jti3]
        .map((jti) => audited.find((d) => d.jti === jti))
        .map(() => expect.objectContaining({ mode: 'poll', outcome: 'acknowledged' })),
    ]);
    expect(audited.slice(1).map((d) => d.jti)).toEqual(expect.arrayContaining([jti2, jti3]));
  });

  it("when a company acknowledges another company's SET, then nothing changes for the other company", async () => {
    const a = await registerCompany(v);
    const b = await registerCompany(v);
    await obtainTokens(v, a, alice, { fields: ['phone'] });
    const [jti] = Object.keys((await poll(await managementToken(a), {})).body.sets);
    expect((await poll(await managementToken(b), { ack: [jti] })).body.sets).toEqual({});
    expect(Object.keys((await poll(await managementToken(a), {})).body.sets)).toEqual([jti]);
  });

  it('when the poll request is malformed, then a problem+json 400 and nothing is acknowledged', async () => {
    const shop = await registerCompany(v);
    await obtainTokens(v, shop, alice, { fields: ['phone'] });
    const token = await managementToken(shop);
    const before = await pending();
    for (const body of [{ maxEvents: 1000 }, { ack: 'x' }, { maxEvents: -1 }, [1, 2], { setErrs: { a: 1 } }]) {
      const r = await poll(token, body);
      expect(r.status).toBe(400);
      expect(r.type).toContain('application/problem+json');
    }
    expect(await pending()).toBe(before);
  });

  it('when a grant reaches its end and the sweep records it, then the company can poll a grant-expired SET', async () => {
    const shop = await registerCompany(v);
    const token = await managementToken(shop);
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'], duration: 'P1D' });
    const [jti] = Object.keys((await poll(token, {})).body.sets);
    v.clock.advance(2 * 86_400_000);
    await v.vault.sweep();
    const r = await poll(await managementToken(shop), { ack: [jti] }); // the first token has expired too
    const [expired] = Object.values(r.body.sets) as string[];
    const s = await verifySet(v, expired!, shop.clientId);
    expect(s.type.endsWith('/grant-expired')).toBe(true);
    expect(s.event).toMatchObject({ grant_id: t.grant_id, status: 'expired', initiating_entity: 'system' });
  });

  it('when a company with a push endpoint polls, then 409', async () => {
    const shop = await registerCompany(v, { eventEndpoint: 'https://shop.example/events' });
    const r = await poll(await managementToken(shop), {});
    expect(r.status).toBe(409);
    expect(r.type).toContain('application/problem+json');
  });

  it('when the caller has no management token, then 401', async () => {
    const res = await fetch(`${v.url}/company/events/poll`, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});

describe('events nobody collects (SECURITY.md "Grant events", bounds)', () => {
  it('when a polling company never polls, then its events are given up after 72 h and purged 7 days later', async () => {
    const bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
    await bob.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59' });
    const shop = await registerCompany(v);
    await obtainTokens(v, shop, bob, { fields: ['phone'] });
    const rows = async () => (await outbox()).filter((e) => e.companyId === shop.clientId);
    const [created] = await rows();
    expect(created!.settledAt).toBeNull();

    v.clock.advance(72 * 3_600_000 + 1_000);
    await v.vault.sweep();
    const given = (await rows()).find((e) => e.jti === created!.jti)!;
    expect(given.settledAt).not.toBeNull();
    const audited = (await auditRows(v))
      .filter((e) => e.companyId === shop.clientId && e.action === 'event.given-up')
      .map((e) => JSON.parse(e.body).detail);
    expect(audited).toEqual([expect.objectContaining({ jti: created!.jti, mode: 'poll', outcome: 'expired' })]);

    v.clock.advance(7 * 86_400_000 + 1_000);
    await v.vault.sweep();
    expect((await rows()).find((e) => e.jti === created!.jti)).toBeUndefined();
  });
});
