import { afterAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { startReceiver, verifySet } from '../support/event-receiver.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { auditRows } from '../support/rows.ts';

// The receivers listen on loopback, which the vault refuses unless told (SECURITY.md "Grant events").
const PRIVATE_RECEIVERS = { VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES: '1' };

let v: RunningVault | undefined;
afterAll(async () => v?.close());

describe('grant events across an outage and a vault restart (RFC 8935, durable outbox)', () => {
  it('when the receiver is down and the vault restarts meanwhile, then every event arrives once and in order', async () => {
    const receiver = await startReceiver();
    await receiver.down();
    v = await startVault({ env: PRIVATE_RECEIVERS });
    const shop = await registerCompany(v, { eventEndpoint: receiver.url });
    const alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
    await alice.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59', email: 'alice@example.test' });
    const t = await obtainTokens(v, shop, alice, { fields: ['phone', 'email'] });
    expect((await alice.call('PATCH', `/api/grants/${t.grant_id}`, { fields: ['phone'] })).status).toBe(200);
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);
    await v.vault.services.events.worker.runOnce();
    // Only the oldest event was tried (strict order per company), and it failed: nothing was delivered.
    const tried = (await auditRows(v)).filter((e) => e.action.startsWith('event.'));
    expect(tried.length).toBeGreaterThan(0);
    expect(
      tried.every((e) => e.action === 'event.attempted' && JSON.parse(e.body).detail.eventType === 'grant-created'),
    ).toBe(true);

    const dataDir = v.dataDir;
    await v.close({ keepData: true });
    v = await startVault({ dataDir, env: PRIVATE_RECEIVERS });
    await receiver.up();
    v.clock.advance(60 * 60_000); // the receiver was down for an hour: every back-off is over
    await v.vault.services.events.worker.runOnce();
    await receiver.waitFor(4);
    await v.vault.services.events.worker.runOnce();

    const sets = await Promise.all(receiver.received.map((r) => verifySet(v!, r.token, shop.clientId)));
    expect(sets.map((s) => s.type.split('/').pop())).toEqual([
      'grant-created',
      'grant-narrowed',
      'grant-revoked',
      'deletion-requested',
    ]);
    expect(new Set(sets.map((s) => s.payload.jti)).size).toBe(4);
    expect(sets[1]!.event).toMatchObject({ grant_id: t.grant_id, fields: ['phone'] });
    const delivered = (await auditRows(v)).filter((e) => e.action === 'event.delivered');
    expect(delivered).toHaveLength(4);
    await receiver.close();
  });
});
