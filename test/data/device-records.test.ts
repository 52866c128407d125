import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowOf, rowsOf } from '../support/rows.ts';

// Issue 15, the device line: a connected product joins through the device authorization grant (RFC 8628),
// deposits a devices record that needs service, and the customer sees it in words with its device as source.

let v: RunningVault;
let brushco: RegisteredCompany;
let alice: Customer;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

beforeAll(async () => {
  v = await startVault();
  brushco = await registerCompany(v, { name: 'Brushco', product: 'toothbrush' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
});
afterAll(async () => v.close());

/** The device side of RFC 8628 §3.1-3.5 and the customer's approval in between, all over HTTP. */
async function connectDevice() {
  const auth = { authorization: brushco.basic() };
  const asked = await form(
    `${v.url}/device_authorization`,
    { authorization_details: details(['devices'], 'customer-support', 'P90D', ['deposit']) },
    auth,
  );
  expect(asked.status).toBe(200);
  const entered = await alice.call('POST', '/api/device', { code: asked.body.user_code });
  expect(entered.status).toBe(200);
  const ok = await alice.call('POST', `/api/consent/${entered.body.request}`, { decision: 'approve', termsVersion: 1 });
  expect(ok.status).toBe(200);
  v.clock.advance(5000);
  const t = await form(`${v.url}/token`, { grant_type: DEVICE_GRANT, device_code: asked.body.device_code }, auth);
  expect(t.status).toBe(200);
  return t.body as { access_token: string; refresh_token: string; grant_id: string };
}

describe('a connected product deposits, and the customer sees it as coming from the device', () => {
  it('when the toothbrush deposits "needs service", then the inbox and the records page say so in words', async () => {
    const t = await connectDevice();
    expect(decodeJwt(t.access_token).device_id).toBe(brushco.clientId);
    const res = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'devices',
        content: {
          product: 'toothbrush',
          maker: 'Brushco',
          serial: 'BC3-0042',
          purchased: '2026-01-15',
          events: [{ kind: 'needs_service', at: v.clock.now().toISOString() }],
        },
      }),
    });
    expect(res.status).toBe(201);
    const id = (await res.json()).id;

    const inbox = (await alice.call('GET', '/api/inbox')).body.messages as { body: { text: string } }[];
    expect(inbox.map((m) => m.body.text)).toContain('Your toothbrush by Brushco needs service');

    const rec = (await alice.call('GET', '/api/records')).body.records.find((r: { id: string }) => r.id === id);
    expect(rec).toMatchObject({
      category: 'devices',
      description: 'toothbrush by Brushco, bought 2026-01-15; latest: needs service',
      source: {
        company: brushco.clientId,
        name: 'Brushco',
        device: brushco.clientId,
        product: 'toothbrush',
        label: 'from your toothbrush, by Brushco',
      },
    });

    // The provenance sealed with the record names the device, signed by the vault.
    const row = (await rowOf<{ device_id: string }>(v, 'select device_id from records where id = ?', id))!;
    expect(row.device_id).toBe(brushco.clientId);
    const audit = await rowsOf<{ body: string }>(
      v,
      "select body from audit_events where action = 'data.deposit' and company_id = ?",
      brushco.clientId,
    );
    expect(audit.map((a) => JSON.parse(a.body).detail.deviceId)).toEqual([brushco.clientId]);
  });

  it('when the device refreshes its token, then the new token still names the device', async () => {
    const t = await connectDevice();
    const r = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: brushco.basic() },
    );
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token).device_id).toBe(brushco.clientId);
  });

  it('when the device keeps reporting "needs service", then the inbox holds one unread notice until it is read', async () => {
    const t = await connectDevice();
    const attention = () =>
      fetch(`${v.url}/data/customers/${alice.handle}/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          category: 'devices',
          content: {
            product: 'toothbrush',
            maker: 'Brushco',
            serial: 'BC3-0042',
            purchased: '2026-01-15',
            events: [{ kind: 'battery_low', at: v.clock.now().toISOString() }],
          },
        }),
      });
    const notices = async () =>
      (
        (await alice.call('GET', '/api/inbox')).body.messages as { id: string; kind: string; readAt: string | null }[]
      ).filter((m) => m.kind === 'device.attention' && !m.readAt);
    for (const m of await notices()) expect((await alice.call('POST', `/api/inbox/${m.id}/read`)).status).toBe(204);
    for (let i = 0; i < 5; i++) expect((await attention()).status).toBe(201);
    const unread = await notices();
    expect(unread).toHaveLength(1);
    // Once the customer has read it, the next report tells them again.
    expect((await alice.call('POST', `/api/inbox/${unread[0]!.id}/read`)).status).toBe(204);
    expect((await attention()).status).toBe(201);
    expect(await notices()).toHaveLength(1);
  });
});
