import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { rawConnection, served, type RawConnection } from '../support/raw-socket.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

// Each bound is set small here through the same settings an operator uses; the defaults are in SECURITY.md.
let v: RunningVault | undefined;
const open: RawConnection[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.socket.destroy();
  await v?.close();
  v = undefined;
});
const connectTo = async (url: string) => {
  const c = await rawConnection(url);
  open.push(c);
  return c;
};

describe('connection caps', () => {
  it('when the server holds VAULT_MAX_CONNECTIONS sockets, then one more is closed unanswered and the others still serve', async () => {
    v = await startVault({ env: { VAULT_MAX_CONNECTIONS: '3' } });
    const held = [await connectTo(v.url), await connectTo(v.url), await connectTo(v.url)];
    for (const c of held) await served(c);
    const extra = await connectTo(v.url);
    expect(await extra.closed).toBe('');
    await served(held[0]!);
  });

  it('when one address holds VAULT_MAX_CONNECTIONS_PER_IP sockets, then its next is closed, and a closed one frees its place', async () => {
    v = await startVault({ env: { VAULT_MAX_CONNECTIONS_PER_IP: '2' } });
    const serverSide: Socket[] = [];
    v.server.on('connection', (s: Socket) => serverSide.push(s));
    const held = [await connectTo(v.url), await connectTo(v.url)];
    for (const c of held) await served(c);
    const extra = await connectTo(v.url);
    expect(await extra.closed).toBe('');
    // The server counts a socket out when it sees it close.
    const gone = once(serverSide[0]!, 'close');
    held[0]!.socket.destroy();
    await gone;
    await served(await connectTo(v.url));
  });
});

describe('timeouts', () => {
  const timeouts = {
    VAULT_HEADERS_TIMEOUT_MS: '300',
    VAULT_REQUEST_TIMEOUT_MS: '600',
    VAULT_KEEP_ALIVE_TIMEOUT_MS: '100',
  };

  it(
    'when a client sends its headers too slowly, then it gets a problem+json 408 and the connection is closed',
    { timeout: 10_000 },
    async () => {
      v = await startVault({ env: timeouts });
      const slow = await connectTo(v.url);
      slow.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
      const answer = await slow.closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/);
    },
  );

  it(
    'when a client opens a connection and sends nothing, then it is closed after the header timeout',
    { timeout: 10_000 },
    async () => {
      v = await startVault({ env: timeouts });
      const idle = await connectTo(v.url);
      expect(await idle.closed).toMatch(/^HTTP\/1\.1 408 /);
    },
  );

  it(
    'when a body arrives too slowly, then the request is cut off with a 408 and nothing is created',
    { timeout: 10_000 },
    async () => {
      v = await startVault({ env: timeouts });
      const slow = await connectTo(v.url);
      slow.write(
        'POST /api/account HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"email":',
      );
      expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 /);
      expect(await countOf(v, 'select count(*) AS n from customers')).toBe(0);
    },
  );

  it(
    'when a keep-alive connection stays idle after its answer, then the server closes it',
    { timeout: 4_000 },
    async () => {
      v = await startVault({ env: timeouts });
      const c = await connectTo(v.url);
      await served(c);
      await c.closed;
      expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    },
  );

  it('when the header timeout is longer than the request timeout, then the configuration is refused', () => {
    expect(() => loadConfig({ VAULT_HEADERS_TIMEOUT_MS: '5000', VAULT_REQUEST_TIMEOUT_MS: '1000' })).toThrow(
      ConfigError,
    );
  });
});
