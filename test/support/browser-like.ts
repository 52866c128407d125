/**
 * A tiny HTTP client that behaves like the dashboard: keeps the session cookie, sends the CSRF token
 * on writes, and returns status, headers and parsed body.
 */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class Customer {
  cookie = '';
  csrf = '';
  id = '';
  handle = '';
  constructor(readonly base: string) {}

  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  async signUp(email: string, password = 'correct horse battery staple'): Promise<this> {
    const r = await this.call('POST', '/api/account', { email, password });
    if (r.status !== 201) throw new Error(`sign-up failed: ${r.status} ${JSON.stringify(r.body)}`);
    this.csrf = r.body.csrfToken;
    this.id = r.body.id;
    this.handle = r.body.handle;
    return this;
  }

  async signIn(email: string, password = 'correct horse battery staple'): Promise<Reply> {
    const r = await this.call('POST', '/api/session', { email, password });
    if (r.status === 200) {
      this.csrf = r.body.csrfToken;
      this.id = r.body.id;
    }
    return r;
  }
}

let n = 0;
export const uniqueEmail = (tag = 'c') => `${tag}-${Date.now().toString(36)}-${n++}@example.test`;
