import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface ReceivedSet {
  token: string;
  contentType: string | undefined;
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A company's RFC 8935 push endpoint on loopback: records every SET it is sent and answers as told (202 by
 * default). Tests wait on `waitFor(n)`, which resolves once n SETs have arrived, never on a sleep.
 */
export async function startReceiver(port = 0) {
  const received: ReceivedSet[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let answer: Answer = (_req, res) => res.writeHead(202).end();
  let server: Server | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ token: body, contentType: req.headers['content-type'] });
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
      answer(req, res);
    });
  };
  async function listen(p: number) {
    server = createServer(handle);
    await new Promise<void>((r) => server!.listen(p, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }
  const boundPort = await listen(port);
  return {
    url: `http://127.0.0.1:${boundPort}/events`,
    received,
    answerWith(a: Answer) {
      answer = a;
    },
    waitFor(n: number): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    /** Down: the port refuses connections until `up()`. */
    async down() {
      server?.closeAllConnections();
      await new Promise<void>((r) => server!.close(() => r()));
    },
    async up() {
      await listen(boundPort);
    },
    close() {
      server?.closeAllConnections();
      return new Promise<void>((r) => server!.close(() => r()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Verifies a SET as a company would: the vault's JWKS, its issuer, our client_id as audience, typ secevent+jwt. */
export async function verifySet(
  vault: { url: string; ctx: { config: { publicUrl: string } } },
  token: string,
  audience: string,
) {
  const vaultUrl = vault.url;
  const jwks = createLocalJWKSet(await (await fetch(`${vaultUrl}/jwks.json`)).json());
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: vault.ctx.config.publicUrl,
    audience,
    typ: 'secevent+jwt',
  });
  const events = payload.events as Record<string, Record<string, unknown>>;
  const [type] = Object.keys(events);
  return {
    payload: payload as JWTPayload & { sub_id?: { id: string } },
    protectedHeader,
    type: type!,
    event: events[type!]!,
  };
}
