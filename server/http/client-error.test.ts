import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawConnection } from '../../test/support/raw-socket.ts';
import { answerClientError } from './problem.ts';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** A bare server with answerClientError, and a raw connection to it. */
async function connectTo(handler: Parameters<typeof createServer>[1]) {
  server = createServer(handler);
  server.on('clientError', (err, socket) => answerClientError(err, socket, 'http://127.0.0.1'));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return rawConnection(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

describe('answerClientError', () => {
  it('when a malformed request follows one whose streamed answer is under way, then that answer is not corrupted by a second status line', async () => {
    const c = await connectTo((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '20' });
      res.write('0123456789');
    });
    c.write('GET /export HTTP/1.1\r\nhost: x\r\n\r\n');
    // The answer is under way once its first half has arrived; only then does the malformed request follow.
    await c.until(/0123456789$/);
    c.write('BROKEN\r\n\r\n');
    const answer = await c.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).not.toContain('HTTP/1.1 400');
  });

  it('when the malformed request comes first, then it gets a problem+json 400', async () => {
    const c = await connectTo((_req, res) => res.end('unused'));
    c.write('BROKEN\r\n\r\n');
    const answer = await c.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\ncontent-type: application\/problem\+json/);
  });
});
