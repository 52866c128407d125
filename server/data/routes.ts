import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isFieldName } from '../customers/field-catalogue.ts';
import { fastSuccessHeaders, setFrontHeaders, type Front } from '../http/app.ts';
import { ValidationFailed } from '../http/errors.ts';
import { isNavigation } from '../http/error-page.ts';
import { problemReply, sendProblem, type ProblemSetting } from '../http/problem.ts';
import { parse } from '../http/validate.ts';
import type { Authenticated } from '../oauth/bearer.ts';
import { isRecordCategory, RECORD_MAX_BYTES, recordCategorySchema } from './record-catalogue.ts';
import type { RecordCursor } from './record-store.ts';
import { RECORDS_PAGE_MAX, type RecordQuery } from './records.ts';
import { claimNameSchema } from '../claims/catalogue.ts';
import type { DataService } from './service.ts';

export const handleSchema = z.string().regex(/^vh-[a-z2-9]{5}-[a-z2-9]{5}$/, 'not a vault handle');
export const querySchema = z.strictObject({ fields: z.string().max(2000).optional() });
// The key a company gives so that a retried deposit is stored once (draft-ietf-httpapi-idempotency-key-header):
// printable ASCII, as an HTTP header allows, and short.
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,128}$/, '1 to 128 printable ASCII characters');
export const depositSchema = z.strictObject({
  category: recordCategorySchema,
  content: z
    .record(z.string().max(100), z.unknown())
    .refine((o) => JSON.stringify(o).length <= RECORD_MAX_BYTES, 'content is larger than 16 KiB'),
  idempotencyKey: idempotencyKeySchema.optional(),
});
export const recordsQuerySchema = z.strictObject({
  category: z.string().max(500).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  source: z.string().min(1).max(200).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(RECORDS_PAGE_MAX).default(50),
});

/** Parses the records read's query: categories from the catalogue only, times normalised, the cursor decoded. */
function recordQueryOf(query: unknown): RecordQuery {
  const q = parse(recordsQuerySchema, query, 'query');
  const categories = q.category?.split(',').map((c) => c.trim());
  const bad = (path: string, message: string) =>
    new ValidationFailed(`${path}: ${message}`, { errors: [{ path, message }] });
  if (categories?.some((c) => !isRecordCategory(c))) throw bad('query.category', 'not a record category');
  let cursor: RecordCursor | undefined;
  if (q.cursor) {
    try {
      cursor = cursorSchema.parse(JSON.parse(Buffer.from(q.cursor, 'base64url').toString()));
    } catch {
      throw bad('query.cursor', 'not a cursor this API returned');
    }
  }
  return {
    ...(categories ? { categories: [...new Set(categories)] } : {}),
    ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
    ...(q.source ? { source: q.source } : {}),
    ...(cursor ? { cursor } : {}),
    limit: q.limit,
  };
}
// Record ids are server-made UUIDs: printable ASCII only, so a NUL byte in a forged cursor is refused here rather
// than failing the audited unit on PostgreSQL (which cannot compare such text) as an audit outage.
const cursorSchema = z.strictObject({ createdAt: z.iso.datetime(), id: z.string().regex(/^[\x21-\x7e]{1,100}$/) });

const READ_PREFIX = '/data/customers/';

/** GET /data/customers/{handle}[?fields=a,b]: parses what the company asked for and runs the audited read. */
function readFor(data: DataService, token: Authenticated, handleParam: unknown, query: unknown, requestId: string) {
  const handle = parse(handleSchema, handleParam, 'path.handle');
  const q = parse(querySchema, query, 'query');
  const fields = q.fields
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  // Only catalogue names reach the read (and its audit event): anything else a company puts here could be a
  // personal value, and the audit trail names fields, never values. Not echoed back either.
  if (fields?.some((f) => !isFieldName(f)))
    throw new ValidationFailed('query.fields: names a field that is not in the catalogue (see /docs)', {
      errors: [{ path: 'query.fields', message: 'unknown field name' }],
    });
  return data.read({ ...token, handle, requestId }, fields);
}

/** GET /data/customers/{handle}/claims/{name}: only catalogue names pass, so the trail never holds a typed name. */
function claimFor(
  data: DataService,
  token: Authenticated,
  handleParam: unknown,
  nameParam: unknown,
  requestId: string,
) {
  const handle = parse(handleSchema, handleParam, 'path.handle');
  const name = parse(claimNameSchema, nameParam, 'path.name');
  return data.claim({ ...token, handle, requestId }, name);
}

/** `{handle}/claims/{name}` after the read prefix, as express would route it; undefined for anything else. */
function claimPath(rest: string): { handle: string; name: string } | undefined {
  const i = rest.indexOf('/');
  if (i <= 0 || !rest.startsWith('/claims/', i)) return undefined;
  const name = rest.slice(i + '/claims/'.length);
  return name && !name.includes('/') ? { handle: rest.slice(0, i), name } : undefined;
}

/** The company data API: read granted fields, deposit records. Thin: parse, call the service, send. */
export function dataRoutes(data: DataService, requireToken: RequestHandler, resourceMetadata: string): Router {
  const r = Router();
  // RFC 9728 §5.1: the data API's 401 challenges name its protected-resource metadata.
  r.use('/data', function nameResourceMetadata(_req, res, next) {
    res.locals.resourceMetadata = resourceMetadata;
    next();
  });
  r.get('/data/customers/:handle', requireToken, async (req, res) => {
    const { json } = await readFor(data, req.token!, req.params.handle, req.query, req.id);
    res.set('cache-control', 'no-store').type('application/json').send(json);
  });
  // A claim answer: a signed JWT with the answer, never the value (server/claims/answer.ts).
  r.get('/data/customers/:handle/claims/:name', requireToken, async (req, res) => {
    const answer = await claimFor(data, req.token!, req.params.handle, req.params.name, req.id);
    res.set('cache-control', 'no-store').json(answer);
  });
  r.post('/data/customers/:handle/records', requireToken, async (req, res) => {
    const handle = parse(handleSchema, req.params.handle, 'path.handle');
    const body = parse(depositSchema, req.body);
    const header = req.get('idempotency-key');
    const key =
      header === undefined ? body.idempotencyKey : parse(idempotencyKeySchema, header, 'header.idempotency-key');
    if (header !== undefined && body.idempotencyKey !== undefined && header !== body.idempotencyKey)
      throw new ValidationFailed('The Idempotency-Key header and the idempotencyKey field differ', {
        errors: [{ path: 'body.idempotencyKey', message: 'differs from the Idempotency-Key header' }],
      });
    const input = { category: body.category, content: body.content, ...(key ? { idempotencyKey: key } : {}) };
    const out = await data.deposit({ ...req.token!, handle, requestId: req.id }, input);
    res.status(201).json(out.body);
  });
  r.get('/data/customers/:handle/records', requireToken, async (req, res) => {
    const page = await recordsFor(data, req.token!, req.params.handle, req.query, req.id);
    // The page's memory is reused once the answer is out, and only then (page-buffers.ts).
    res.once('finish', page.sent);
    res.set('cache-control', 'no-store').type('application/json').send(page.json);
  });
  return r;
}

/** `{handle}/records` after the read prefix, as express would route it; undefined for anything else. */
function recordsPath(rest: string): string | undefined {
  const i = rest.indexOf('/');
  return i > 0 && rest.slice(i) === '/records' ? rest.slice(0, i) : undefined;
}

/**
 * GET /data/customers/{handle}/records: the page as JSON text (server/data/record-page.ts), whose `sent` the caller
 * calls once the text is written out.
 */
async function recordsFor(data: DataService, token: Authenticated, handleParam: unknown, query: unknown, id: string) {
  const handle = parse(handleSchema, handleParam, 'path.handle');
  const q = recordQueryOf(query);
  return await data.readRecords({ ...token, handle, requestId: id }, q);
}

/**
 * The company read is the vault's hot path, and express's own routing and response helpers cost more
 * per request than the read's database work (ARCHITECTURE.md, "Speed"; `npm run bench`). This serves exactly
 * `GET /data/customers/{handle}`, the claim answer `GET /data/customers/{handle}/claims/{name}` and the records read
 * `GET /data/customers/{handle}/records` on the plain node request with the same front (security headers,
 * request id, log line), the same token check, the same read as the express route above, and the
 * same problem+json errors. It answers false for any other request, which express then serves.
 */
export function dataReadFastPath(d: {
  data: DataService;
  front: Front;
  authenticate: (req: IncomingMessage, path: string) => Promise<Authenticated>;
  logger: Logger;
  problems: ProblemSetting;
}) {
  const success = fastSuccessHeaders(d.front, { 'cache-control': 'no-store' });
  async function serve(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    try {
      const token = await d.authenticate(req, path);
      const rest = path.slice(READ_PREFIX.length);
      const claim = claimPath(rest);
      const records = recordsPath(rest);
      if (records !== undefined) {
        const page = await recordsFor(d.data, token, records, parseQuery(query), req.id);
        res.writeHead(200, success(req, page.json));
        // The page's memory is reused once the answer is handed to the system ('finish'), and only then
        // (page-buffers.ts); a response that never finishes leaves it to the garbage collector.
        res.end(page.json, () => page.sent());
        return;
      }
      const json = claim
        ? JSON.stringify(await claimFor(d.data, token, claim.handle, claim.name, req.id))
        : (await readFor(d.data, token, rest, parseQuery(query), req.id)).json;
      res.writeHead(200, success(req, json));
      res.end(json);
    } catch (e) {
      setFrontHeaders(d.front, req, res);
      sendProblem(res, problemReply(e, req.id, d.logger, d.problems));
    }
  }
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    if (req.method !== 'GET' || !url.startsWith(READ_PREFIX)) return false;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    // Only the plain path, as express would route it; anything else (deeper paths, escapes) goes to express.
    const deeper = path.indexOf('/', READ_PREFIX.length) >= 0;
    if (path.length === READ_PREFIX.length || path.includes('%')) return false;
    const rest = path.slice(READ_PREFIX.length);
    if (deeper && !claimPath(rest) && recordsPath(rest) === undefined) return false;
    // A person's browser following a link gets the HTML error page that express's handler sends, never JSON.
    if (isNavigation(req)) return false;
    // The id and log line now; the security headers go out with the answer (fastSuccessHeaders, setFrontHeaders).
    d.front.track(req, res);
    serve(req, res, path, q < 0 ? '' : url.slice(q + 1)).catch((err: unknown) => {
      d.logger.error({ err, reqId: req.id }, 'company read could not be answered');
      res.destroy();
    });
    return true;
  };
}
