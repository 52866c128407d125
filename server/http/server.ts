import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerLimits } from '../config.ts';
import { answerClientError } from './problem.ts';

/**
 * The listening server, with its bounds (SECURITY.md "Floods and bounds"): at most `maxConnections`
 * sockets, and `maxConnectionsPerIp` from one address, so that idle sockets cannot use up the process's
 * file descriptors and lock every other client out; a request's headers must arrive within
 * `headersTimeoutMs` (a connection that sends nothing is closed then too) and the whole request, body
 * included, within `requestTimeoutMs` (the slow-body guard: bodies are at most 64 KB); an idle
 * keep-alive connection is closed after `keepAliveTimeoutMs`. Timed-out requests get a problem+json 408.
 * main.ts and the tests build the server here, so the tests hold the same bounds.
 */
export function createVaultServer(limits: ServerLimits, publicUrl: () => string): Server {
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both timeouts on this period (30 s by default), which a slow client would get on top.
    connectionsCheckingInterval: Math.min(1000, Math.ceil(limits.headersTimeoutMs / 4)),
  });
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Past the cap node closes each new socket at once (and emits 'drop').
  server.maxConnections = limits.maxConnections;
  // Requests node's parser refuses get a problem+json whose type names the public URL.
  server.on('clientError', (err, socket) => answerClientError(err, socket, publicUrl()));
  if (limits.maxConnectionsPerIp > 0) capPerAddress(server, limits.maxConnectionsPerIp);
  return server;
}

function capPerAddress(server: Server, cap: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const n = (open.get(address) ?? 0) + 1;
    if (n > cap) return void socket.destroy();
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
