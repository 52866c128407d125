import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVault, type RunningVault } from '../support/vault.ts';

// A browser navigation never gets raw JSON (ARCHITECTURE.md, "Errors"): a person who follows a link to the
// company data API (a company's mail, a bookmark) gets the HTML page, on the read's fast path too.
let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: 'text/html,*/*;q=0.8' };

function get(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request(v.url + path, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? '', body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser navigations to the company data API', () => {
  it.each([
    '/data/customers/vh-aaaaa-bbbbb',
    '/data/customers/vh-aaaaa-bbbbb/claims/age_over',
    '/data/customers/vh-aaaaa-bbbbb/records',
    '/company/grants',
  ])('when a browser navigates to %s without a token, then it gets an HTML page, not JSON', async (path) => {
    const r = await get(path, NAVIGATE);
    expect(r.status).toBe(401);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body).not.toMatch(/"type":/);
    const api = await get(path, { accept: 'application/json' });
    expect(api.status).toBe(401);
    expect(api.type).toMatch(/^application\/problem\+json/);
  });
});
