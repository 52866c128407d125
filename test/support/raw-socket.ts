import { connect, type Socket } from 'node:net';

/** A plain TCP connection to the vault, for what fetch cannot do: send half a request, hold a socket open. */
export interface RawConnection {
  socket: Socket;
  write(data: string): void;
  /** Everything received so far. */
  received(): string;
  /** Resolves once what was received matches (at once if it already does). */
  until(pattern: RegExp): Promise<string>;
  /** Resolves with everything received once the server (or we) closed the connection. */
  closed: Promise<string>;
}

export async function rawConnection(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  let got = '';
  const waiting: { pattern: RegExp; resolve: (s: string) => void }[] = [];
  const socket = connect(Number(port), hostname);
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.on('data', (d: string) => {
    got += d;
    for (const w of [...waiting])
      if (w.pattern.test(got)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(got);
      }
  });
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    write: (data) => void socket.write(data),
    received: () => got,
    until: (pattern) =>
      pattern.test(got) ? Promise.resolve(got) : new Promise((resolve) => waiting.push({ pattern, resolve })),
    closed,
  };
}

/** One keep-alive request whose answer has fully arrived: proof that the server holds this connection. */
export async function served(c: RawConnection, path = '/healthz'): Promise<void> {
  const before = c.received().length;
  c.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
  await c.until(new RegExp(`^[\\s\\S]{${before}}HTTP/1\\.1 200 [\\s\\S]*\\r\\n\\r\\n\\{"status":"ok"\\}`));
}
