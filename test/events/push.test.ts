import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { startReceiver, verifySet, type Receiver } from '../support/event-receiver.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { auditRows } from '../support/rows.ts';

// The receivers listen on loopback, which the vault refuses unless told (SECURITY.md "Grant events").
const PRIVATE_RECEIVERS = { VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES: '1' };

const eventType = (v: RunningVault, name: string) => `${v.ctx.config.publicUrl}/secevent/consent/event-type/${name}`;
const deliveries = async (v: RunningVault, companyId: string) =>
  (await auditRows(v))
    .filter((e) => e.companyId === companyId && e.action.startsWith('event.'))
    .map((e) => ({ action: e.action, detail: JSON.parse(e.body).detail as Record<string, unknown> }));

let v: RunningVault;
let receiver: Receiver;
let alice: Customer;
beforeAll(async () => {
  v = await startVault({ env: PRIVATE_RECEIVERS });
  receiver = await startReceiver();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59' });
});
afterAll(async () => {
  await v.close();
  await receiver.close();
});

describe('grant events pushed to the company (RFC 8417, RFC 8935)', () => {
  it('when a customer revokes, then the endpoint receives a signed revocation SET that verifies with the JWKS', async () => {
    const shop = await registerCompany(v, { eventEndpoint: receiver.url });
    const before = receiver.received.length;
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'] });
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);
    await receiver.waitFor(before + 2);

    const [created, revoked] = receiver.received.slice(before);
    expect(revoked!.contentType).toBe('application/secevent+jwt');
    const r = await verifySet(v, revoked!.token, shop.clientId);
    expect(r.protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'secevent+jwt' });
    expect(r.type).toBe(eventType(v, 'grant-revoked'));
    expect(r.payload.sub_id).toEqual({ format: 'opaque', id: t.grant_id });
    expect(r.event).toMatchObject({
      grant_id: t.grant_id,
      status: 'revoked',
      fields: ['phone'],
      initiating_entity: 'user',
    });
    expect((await verifySet(v, created!.token, shop.clientId)).type).toBe(eventType(v, 'grant-created'));

    await v.vault.services.events.worker.runOnce();
    const audited = await deliveries(v, shop.clientId);
    // created, revoked, and the deletion request the revocation opened (issue 17).
    expect(audited.map((d) => d.action)).toEqual(['event.delivered', 'event.delivered', 'event.delivered']);
    expect(audited[2]!.detail).toMatchObject({ eventType: 'deletion-requested', outcome: 'accepted' });
    expect(audited[1]!.detail).toMatchObject({
      jti: r.payload.jti,
      eventType: 'grant-revoked',
      mode: 'push',
      outcome: 'accepted',
    });
  });

  it('when the endpoint rejects a SET with 400 (RFC 8935 §2.3), then that SET is given up and the next one still arrives', async () => {
    const shop = await registerCompany(v, { eventEndpoint: receiver.url });
    const before = receiver.received.length;
    receiver.answerWith((_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ err: 'invalid_key', description: 'x' })),
    );
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'] });
    await receiver.waitFor(before + 1);
    receiver.answerWith((_req, res) => res.writeHead(202).end());
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);
    await receiver.waitFor(before + 2);
    await v.vault.services.events.worker.runOnce();
    const audited = await deliveries(v, shop.clientId);
    expect(audited[0]).toMatchObject({ action: 'event.given-up', detail: { outcome: 'rejected', err: 'invalid_key' } });
    expect(audited[1]).toMatchObject({ action: 'event.delivered', detail: { eventType: 'grant-revoked' } });
  });

  it('when the endpoint redirects, then the redirect is not followed and the SET stays pending', async () => {
    const elsewhere = await startReceiver();
    const redirecting = await startReceiver();
    redirecting.answerWith((_req, res) => res.writeHead(307, { location: elsewhere.url }).end());
    const shop = await registerCompany(v, { eventEndpoint: redirecting.url });
    await obtainTokens(v, shop, alice, { fields: ['phone'] });
    await redirecting.waitFor(1);
    await v.vault.services.events.worker.runOnce();
    expect(elsewhere.received).toEqual([]);
    expect((await deliveries(v, shop.clientId))[0]).toMatchObject({
      action: 'event.attempted',
      detail: { outcome: 'redirect', status: 307 },
    });
    await elsewhere.close();
    await redirecting.close();
  });

  it('when the endpoint holds the request open, then the customer is still answered and other changes go through', async () => {
    const hanging = await startReceiver();
    hanging.answerWith(() => undefined); // never answers: the push is held until the vault's timeout
    const shop = await registerCompany(v, { eventEndpoint: hanging.url });
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'] });
    await hanging.waitFor(1);
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);
    expect((await alice.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('revoked');
    await hanging.close();
  });
});

describe('registering an event endpoint (RFC 7591 metadata event_delivery_endpoint)', () => {
  it.each([
    ['http://shop.example/events', 'must use https'],
    ['https://user:pw@shop.example/events', 'user information'],
    ['https://shop.example/events#x', 'fragment'],
    ['not-a-url', 'absolute URI'],
  ])('when it is %s, then 400 invalid_client_metadata', async (endpoint, message) => {
    await expect(registerCompany(v, { eventEndpoint: endpoint })).rejects.toThrow(message);
  });

  it('when it is https, then it is kept and shown in the registration', async () => {
    const shop = await registerCompany(v, { eventEndpoint: 'https://shop.example/events' });
    const r = await fetch(`${v.url}/register/${shop.clientId}`, {
      headers: { authorization: `Bearer ${shop.registrationAccessToken}` },
    });
    expect((await r.json()).event_delivery_endpoint).toBe('https://shop.example/events');
  });
});
