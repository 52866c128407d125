import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Strict CSP: only our own origin, no inline script or style, no framing (SECURITY.md "Browser").
 * helmet decides the headers; they do not depend on the request, so they are worked out once at
 * start-up and set in one step per response instead of through helmet's eleven middlewares.
 */
export interface SecurityHeaders {
  (req: IncomingMessage, res: ServerResponse, next: () => void): void;
  /** The same headers as name, value, name, value, …: writeHead's raw form, for a fast path's single call. */
  readonly flat: readonly string[];
}

export function securityHeaders(opts: { https: boolean }): SecurityHeaders {
  const policy = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(opts.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: opts.https,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string) => void headers.push([name, String(value)]),
    removeHeader: () => {},
  };
  let called = false;
  policy({} as IncomingMessage, recorder as unknown as ServerResponse, () => void (called = true));
  if (!called || headers.length === 0)
    throw new Error('securityHeaders: helmet did not produce its headers synchronously');
  const set = (_req: IncomingMessage, res: ServerResponse, next: () => void) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
  return Object.assign(set, { flat: Object.freeze(headers.flat()) });
}
