import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerClientError } from './problem.ts';

let server: Server | undefined;
afterEach(() => void server?.close());

/** Writes each part after the previous has had time to arrive, and returns everything the server sent. */
async function exchange(handler: Parameters<typeof createServer>[1], parts: string[]): Promise<string> {
  server = createServer(handler);
  server.on('clientError', (err, socket) => answerClientError(err, socket, 'http://127.0.0.1'));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', async () => {
      for (const p of parts) {
        socket.write(p);
        await new Promise((r) => setTimeout(r, 30));
      }
    });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
    setTimeout(() => socket.destroy(), 400);
  });
}

describe('answerClientError', () => {
  it('when a malformed request follows one whose streamed answer is under way, then that answer is not corrupted by a second status line', async () => {
    const answer = await exchange(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '20' });
        res.write('0123456789');
        setTimeout(() => res.end('abcdefghij'), 100);
      },
      ['GET /export HTTP/1.1\r\nhost: x\r\n\r\n', 'BROKEN\r\n\r\n'],
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).not.toContain('HTTP/1.1 400');
  });

  it('when the malformed request comes first, then it gets a problem+json 400', async () => {
    const answer = await exchange((_req, res) => res.end('unused'), ['BROKEN\r\n\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\ncontent-type: application\/problem\+json/);
  });
});
