import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import qs from 'qs';

/** The form parser's bounds, shared by express's parser and the fast reader (SECURITY.md "Floods and bounds"). */
export const FORM_LIMIT_BYTES = 32 * 1024;
export const FORM_PARAMETER_LIMIT = 50;

/** A body-parser failure as express's parser reports it: problemReply maps `status` and `type`. */
const parserError = (status: number, message: string, type: string) =>
  Object.assign(new Error(message), { status, statusCode: status, expose: true, type });

export interface FormReader {
  /**
   * Whether this reader takes the request: a declared length within the limit, no content or transfer
   * encoding. Anything else (an over-long, chunked or compressed body) is left to express's parser.
   */
  takes(req: IncomingMessage): boolean;
  /** Reads and parses the body; `done` gets the same error or object as express's parser would give. */
  read(req: IncomingMessage, done: (err: unknown, body?: unknown) => void): void;
}

/**
 * Reads an application/x-www-form-urlencoded UTF-8 body into what express.urlencoded({ extended: false }) makes
 * of it, for the token fast path (server/oauth/fast-path.ts): the same bytes, decoded as body-parser decodes them
 * (raw-body's iconv-lite UTF-8 decoder, a leading BOM dropped), counted against the same parameter limit, then
 * parsed by the same qs with body-parser's options. It leaves out what that parser spends on a body it does not
 * need here (media type and charset negotiation, which the fast path has already done, decompression, the stream
 * plumbing of raw-body): about a tenth of a client-credentials request's server time (README "Benchmarks").
 * test/foundation/oauth-fast-path.test.ts keeps the two alike.
 */
export function formReader(limit = FORM_LIMIT_BYTES, parameterLimit = FORM_PARAMETER_LIMIT): FormReader {
  const parse = (text: string): Record<string, unknown> => {
    if (text.length === 0) return {};
    const count = parameterCount(text, parameterLimit);
    if (count === undefined) throw parserError(413, 'too many parameters', 'parameters.too.many');
    const plain = plainForm(text);
    if (plain) return plain;
    try {
      return qs.parse(text, {
        allowPrototypes: true,
        arrayLimit: count,
        depth: 0,
        charset: 'utf-8',
        parameterLimit,
        strictDepth: true,
      });
    } catch (e) {
      if (e instanceof RangeError)
        throw parserError(400, 'The input exceeded the depth', 'querystring.parse.rangeError');
      throw parserError(400, (e as Error).message, 'entity.parse.failed');
    }
  };

  return {
    takes(req) {
      const h = req.headers;
      const length = h['content-length'];
      return (
        h['content-encoding'] === undefined &&
        h['transfer-encoding'] === undefined &&
        length !== undefined &&
        /^\d{1,6}$/.test(length) &&
        Number(length) <= limit
      );
    },

    read(req, done) {
      // Handlers passed inline, not named: tsx names every named closure with a property write per request.
      const r = new FormRead(parse, done);
      req.on('data', (chunk: Buffer) => void r.chunks.push(chunk));
      req.once('end', () => r.end());
      // The client went away before the whole body came: answered as raw-body answers it (to nobody).
      req.once('error', () => r.abort());
      req.once('close', () => void (req.complete || r.abort()));
    },
  };
}

/** One body being read: its chunks, then one call of `done`. */
class FormRead {
  readonly chunks: Buffer[] = [];
  private settled = false;

  constructor(
    private readonly parse: (text: string) => Record<string, unknown>,
    private readonly done: (err: unknown, body?: unknown) => void,
  ) {}

  end(): void {
    if (this.settled) return;
    this.settled = true;
    let body: Record<string, unknown>;
    try {
      body = this.parse(decode(this.chunks));
    } catch (e) {
      return this.done(e);
    }
    this.done(undefined, body);
  }

  abort(): void {
    if (this.settled) return;
    this.settled = true;
    this.done(parserError(400, 'request aborted', 'request.aborted'));
  }
}

/**
 * raw-body's decoding (iconv-lite's UTF-8: node's StringDecoder fed chunk by chunk, a byte-order mark dropped from
 * the first text it gives, then its end).
 */
function decode(chunks: Buffer[]): string {
  const only = chunks.length === 1 ? chunks[0]! : undefined;
  // One chunk ending in ASCII leaves no incomplete sequence for end() to flush: toString decodes it identically.
  if (only && only[only.length - 1]! < 0x80) return withoutBom(only.toString('utf8'));
  const d = new StringDecoder('utf8');
  let text = '';
  let first = true;
  for (const c of chunks) {
    const part = d.write(c);
    if (first && part) {
      text = withoutBom(part);
      first = false;
    } else text += part;
  }
  return text + d.end();
}

const withoutBom = (s: string) => (s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);

/** body-parser's count: the parameters up to the limit, undefined past it. */
function parameterCount(body: string, limit: number): number | undefined {
  let count = 0;
  let index = -1;
  do {
    count++;
    if (count > limit) return undefined;
    index = body.indexOf('&', index + 1);
  } while (index !== -1);
  return count;
}

/** A parameter with nothing for qs to decode, nest or combine: an unreserved name (RFC 3986 §2.3), `=`, an unreserved value. */
const PLAIN_PAIR = /^[A-Za-z0-9._~-]+=[A-Za-z0-9._~-]*$/;

/**
 * The common token request's body (`grant_type=client_credentials&scope=grant_management`) as qs makes it, without
 * qs: every pair plain, no name given twice (qs would make an array) and none that an object already has (qs
 * treats `__proto__`, `constructor` and the like in its own way). Anything else answers undefined and goes to qs;
 * server/http/form-body.test.ts compares the two.
 */
export function plainForm(text: string): Record<string, string> | undefined {
  const form: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (!PLAIN_PAIR.test(pair)) return undefined;
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (name in form) return undefined;
    form[name] = pair.slice(eq + 1);
  }
  return form;
}
