import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** One request to the vault and its answer, as the client saw them. */
export interface Exchange {
  method: string;
  url: URL;
  requestType: string;
  requestBody: string;
  status: number;
  responseType: string;
  headers: Headers;
  body: string;
}

/**
 * Records every fetch to `base` made while it is installed, including those of the test helpers
 * and of oauth4webapi, which call the global fetch.
 */
export function recordFetch(base: string): { exchanges: Exchange[]; restore(): void } {
  const real = globalThis.fetch;
  const exchanges: Exchange[] = [];
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(base)) return real(req);
    const requestBody = req.body ? await req.clone().text() : '';
    const res = await real(req);
    const body = await res.clone().text();
    exchanges.push({
      method: req.method,
      url: new URL(req.url),
      requestType: req.headers.get('content-type') ?? '',
      requestBody,
      status: res.status,
      responseType: res.headers.get('content-type') ?? '',
      headers: res.headers,
      body,
    });
    return res;
  };
  return { exchanges, restore: () => void (globalThis.fetch = real) };
}

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };

const BASE = 'https://vault.test/components/schemas/';
const mediaOf = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();
const isJson = (media: string) => /(^application\/json$)|(\+json$)/.test(media);
// ajv-formats is CommonJS: its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void;

/**
 * Checks recorded exchanges against the OpenAPI document: the operation exists, the status is
 * documented, the media type is documented, the body validates against the documented schema
 * (ajv, draft 2020-12, formats checked), the documented required headers are there, and a request
 * that succeeded carried a body that its documented request schema accepts.
 */
export function createChecker(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const rewrite = (s: unknown) =>
    JSON.parse(JSON.stringify(s).replaceAll('"#/components/schemas/', `"${BASE}`)) as object;
  for (const [name, schema] of Object.entries(doc.components.schemas))
    ajv.addSchema({ ...(rewrite(schema) as object), $id: BASE + name });
  const compiled = new Map<string, ValidateFunction>();
  const validator = (schema: unknown) => {
    const key = JSON.stringify(schema);
    let v = compiled.get(key);
    if (!v) compiled.set(key, (v = ajv.compile(rewrite(schema))));
    return v;
  };

  const ops = Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        op,
        params: (path.match(/\{/g) ?? []).length,
        re: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    )
    .sort((a, b) => a.params - b.params);

  function find(x: Exchange) {
    return ops.find((o) => o.method === x.method && o.re.test(x.url.pathname));
  }

  function validate(schema: unknown, value: unknown, what: string): string[] {
    const v = validator(schema);
    if (v(value)) return [];
    return [`${what}: ${ajv.errorsText(v.errors, { separator: '; ' })}`];
  }

  function check(x: Exchange): { key?: string; problems: string[] } {
    const op = find(x);
    const where = `${x.method} ${x.url.pathname}${x.url.search} → ${x.status}`;
    if (!op) return { problems: [`${where}: no documented operation`] };
    const problems: string[] = [];
    // Only an explicitly documented status counts (a 500 falls to `default` in the document, and is a bug here).
    const r = op.op.responses[String(x.status)];
    if (!r)
      return {
        key: op.key,
        problems: [
          ...problems,
          `${where}: status ${x.status} is not documented for ${op.key} (body ${x.body.slice(0, 200)})`,
        ],
      };
    for (const [name, h] of Object.entries<any>(r.headers ?? {})) {
      if (h.required && !x.headers.has(name)) problems.push(`${where}: documented header ${name} is missing`);
    }
    const media = mediaOf(x.responseType);
    if (r.content) {
      const m = r.content[media];
      if (!m) problems.push(`${where}: media type "${media}" is not documented (${Object.keys(r.content).join(', ')})`);
      else if (isJson(media)) {
        let body: unknown;
        try {
          body = JSON.parse(x.body);
        } catch {
          problems.push(`${where}: body is not JSON`);
        }
        if (body !== undefined) problems.push(...validate(m.schema, body, `${where} response`));
      } else problems.push(...validate(m.schema, x.body, `${where} response`));
    } else if (x.body.length && !(x.status >= 300 && x.status < 400)) {
      problems.push(`${where}: answered a body (${media}) where none is documented`);
    }
    // A request the vault accepted must fit the documented request schema too.
    if (x.status < 400 && op.op.requestBody && x.requestBody) {
      const reqMedia = mediaOf(x.requestType);
      const m = op.op.requestBody.content[reqMedia];
      if (!m) problems.push(`${where}: request media type "${reqMedia}" is not documented`);
      else {
        const value =
          reqMedia === 'application/x-www-form-urlencoded'
            ? Object.fromEntries(new URLSearchParams(x.requestBody))
            : JSON.parse(x.requestBody);
        problems.push(...validate(m.schema, value, `${where} request`));
      }
    }
    return { key: op.key, problems };
  }

  return { check, operations: ops.map((o) => ({ key: o.key, op: o.op })) };
}
