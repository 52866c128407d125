import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ProblemReply } from './problem.ts';

/** Where a person whose browser got an error page can go back to: the company that sent them. */
export interface ReturnLink {
  name: string;
  href: string;
}

/**
 * A browser navigation (a person following a link or a redirect), as opposed to a script or an API
 * client: Fetch Metadata says so (Sec-Fetch-Mode: navigate), and browsers without it ask for HTML first.
 */
export function isNavigation(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const mode = req.headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return /^\s*text\/html\b/i.test(req.headers.accept ?? '');
}

const HEADINGS: Record<number, string> = {
  400: 'This link does not work',
  401: 'Please sign in',
  403: 'This is not allowed',
  404: 'Page not found',
  409: 'This request has changed',
  429: 'Too many requests',
};

/** The dashboard's logo (web/src/ui.tsx), decorative. */
const LOGO =
  '<svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><path class="logo-shield" d="M16 2.5 4.5 7v8.2c0 7.1 4.9 12.6 11.5 14.3 6.6-1.7 11.5-7.2 11.5-14.3V7L16 2.5Z" />' +
  '<rect class="logo-lock" x="11" y="14" width="10" height="8" rx="1.5" /><path class="logo-shackle" d="M13 14v-2.5a3 3 0 0 1 6 0V14" /></svg>';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The dashboard's own stylesheets, read from its built shell once, so the page looks like the dashboard. */
function dashboardStylesheets(webRoot: string): string[] {
  const shell = join(webRoot, 'index.html');
  if (!existsSync(shell)) return [];
  const html = readFileSync(shell, 'utf8');
  return [...html.matchAll(/<link\s+rel="stylesheet"[^>]*\shref="(\/[^"]+)"/g)].map((m) => m[1]!);
}

/**
 * The HTML answer to a browser navigation that failed: what happened in plain words and a way back,
 * in the dashboard's look, never raw JSON (SECURITY.md "Browser"). Same status and headers as the
 * problem+json an API client gets; no script, and only our own stylesheet under the strict CSP.
 */
export function createErrorPage(webRoot: string) {
  const styles = dashboardStylesheets(webRoot)
    .map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`)
    .join('');

  function render(status: number, detail: string, back?: ReturnLink): string {
    const heading = HEADINGS[status] ?? (status >= 500 ? 'Something went wrong' : 'This did not work');
    const text = status >= 500 ? 'The vault could not answer. Nothing was shared. Please try again later.' : detail;
    const link = back
      ? `<a class="btn btn-primary btn-block" href="${escapeHtml(back.href)}" rel="noreferrer">Back to ${escapeHtml(back.name)}</a>`
      : '<a class="btn btn-primary btn-block" href="/">Go to your vault</a>';
    return (
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<meta name="referrer" content="no-referrer"><title>${escapeHtml(heading)} · Consent vault</title>${styles}</head>` +
      `<body><div class="auth-layout"><main id="main" class="auth-card" data-status="${status}">` +
      `<div class="auth-brand">${LOGO}<span>Consent vault</span></div><h1>${escapeHtml(heading)}</h1>` +
      `<p class="lead">${escapeHtml(text)}</p>${back ? '<p class="lead">Nothing has been shared.</p>' : ''}<p>${link}</p></main></div></body></html>`
    );
  }

  return {
    /** Writes the page in place of the problem reply; the reply's status and extra headers are kept. */
    send(res: ServerResponse, reply: ProblemReply, back?: ReturnLink): void {
      const problem = JSON.parse(reply.body) as { detail?: string; title?: string };
      const body = render(reply.status, problem.detail ?? problem.title ?? '', back);
      const headers = { ...reply.headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
      res.writeHead(reply.status, { ...headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  };
}

export type ErrorPage = ReturnType<typeof createErrorPage>;
