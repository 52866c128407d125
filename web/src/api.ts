import type { Problem } from './types.ts';

/**
 * The one way the dashboard talks to the vault: same origin, the session cookie travels by itself,
 * and every write carries the session's CSRF token in `x-csrf-token` (SECURITY.md "Browser").
 * Errors arrive as RFC 9457 problem+json and are thrown as ApiError so pages can show `detail`,
 * per-field `errors` and policy `reasons`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `Request failed (${status})`);
  }
}

let csrfToken = '';
let onUnauthenticated: (() => void) | undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a signed-in call comes back 401 (the session ended elsewhere or expired). */
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') return body as Problem;
  } catch {
    /* not JSON: fall through */
  }
  return { status: res.status, title: res.statusText || 'Request failed' };
}

export async function request(
  method: string,
  path: string,
  body?: unknown,
  opts: { quiet401?: boolean } = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, {
      title: 'Network error',
      detail: 'The vault could not be reached. Check your connection and try again.',
    });
  }
  if (!res.ok) {
    const problem = await problemOf(res);
    if (res.status === 401 && !opts.quiet401) onUnauthenticated?.();
    throw new ApiError(res.status, problem);
  }
  return res;
}

/** A JSON call; 204 resolves to undefined. */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { quiet401?: boolean } = {},
): Promise<T> {
  const res = await request(method, path, body, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);

/** Saves a Blob as a file through a temporary object URL (no navigation, works under our CSP). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Fetches a GET resource and saves its body under `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await request('GET', path);
  const blob = await res.blob();
  saveBlob(blob, filename);
}

/** Builds a query string from the non-empty entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
