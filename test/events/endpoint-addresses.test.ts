import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { startReceiver, type Receiver } from '../support/event-receiver.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { auditRows } from '../support/rows.ts';

// SECURITY.md "Grant events", endpoints: the event endpoint must not make the vault a proxy into its own network.
const attempts = async (v: RunningVault, companyId: string) =>
  (await auditRows(v))
    .filter((e) => e.companyId === companyId && e.action === 'event.attempted')
    .map((e) => JSON.parse(e.body).detail as Record<string, unknown>);

let strict: RunningVault;
let dev: RunningVault;
let receiver: Receiver;
beforeAll(async () => {
  // Strict is the default, in development as in production; only the explicit setting opens private networks.
  strict = await startVault({ env: { NODE_ENV: 'development' } });
  dev = await startVault({ env: { VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES: '1' } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await strict.close();
  await dev.close();
  await receiver.close();
});

describe('pushing SETs to addresses inside the network (SSRF)', () => {
  it.each([
    ['a loopback address', () => receiver.url],
    ['a name that resolves to loopback', () => receiver.url.replace('127.0.0.1', 'localhost')],
  ])(
    'when private addresses are not allowed (the default) and the endpoint is %s, then nothing is sent and the attempt is audited as blocked',
    async (_, url) => {
      const alice = await new Customer(strict.url).signUp(uniqueEmail('alice'));
      await alice.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59' });
      const shop = await registerCompany(strict, { eventEndpoint: url() });
      const before = receiver.received.length;
      await obtainTokens(strict, shop, alice, { fields: ['phone'] });
      await strict.vault.services.events.worker.runOnce();
      expect(receiver.received.length).toBe(before);
      expect(await attempts(strict, shop.clientId)).toEqual([
        expect.objectContaining({ mode: 'push', outcome: 'blocked' }),
      ]);
    },
  );

  it('when VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES=1 and the endpoint is on loopback, then the SET is delivered', async () => {
    const alice = await new Customer(dev.url).signUp(uniqueEmail('alice'));
    await alice.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59' });
    const shop = await registerCompany(dev, { eventEndpoint: receiver.url });
    const before = receiver.received.length;
    await obtainTokens(dev, shop, alice, { fields: ['phone'] });
    await receiver.waitFor(before + 1);
  });

  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/events',
    'https://0xa9fea9fe/events',
    'https://[fe80::1]/events',
    'https://0.0.0.0/events',
    'https://224.0.0.1/events',
    // IPv4 wrapped in IPv6: IPv4-compatible (RFC 4291 §2.5.5.1), SIIT (RFC 2765), NAT64 (RFC 6052).
    'https://[::10.0.0.1]/events',
    'https://[::127.0.0.1]/events',
    'https://[::ffff:0:192.168.1.1]/events',
    'https://[::ffff:0:a9fe:a9fe]/events',
    'https://[64:ff9b::10.0.0.1]/events',
  ])('when the endpoint is %s, then registration is refused with 400 invalid_client_metadata', async (endpoint) => {
    await expect(registerCompany(dev, { eventEndpoint: endpoint })).rejects.toThrow(
      /400.*invalid_client_metadata.*link-local/,
    );
  });
});
