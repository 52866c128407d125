import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { keyOf, routesOf } from './routes.ts';

let v: RunningVault;
let doc: any;
beforeAll(async () => {
  v = await startVault();
  const res = await fetch(`${v.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(async () => v?.close());

const documented = (d: any) =>
  Object.entries(d.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );

describe('the OpenAPI document at /openapi.json', () => {
  it('when the express router is walked, then every route is documented and every documented operation is served', async () => {
    // A web root with an index.html, so that the dashboard's page routes are mounted as in production.
    const webRoot = mkdtempSync(join(tmpdir(), 'vault-web-'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>x</title>');
    const app = createApp(v.ctx, { webRoot });
    await app.ready;
    try {
      const served = new Set(routesOf(app.app).map(keyOf));
      const inDoc = new Set(documented(doc));
      expect(served.size).toBeGreaterThan(40);
      expect([...served].filter((k) => !inDoc.has(k)).sort(), 'routes missing from /openapi.json').toEqual([]);
      expect([...inDoc].filter((k) => !served.has(k)).sort(), 'documented operations no route serves').toEqual([]);
    } finally {
      await app.stop();
      rmSync(webRoot, { recursive: true, force: true });
    }
  });

  it('when validated against the OpenAPI 3.1 schema, then it is valid', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('when read, then servers name the public URL, every operation has a summary and every 4xx is a problem', () => {
    expect(doc.servers).toEqual([{ url: v.ctx.config.publicUrl, description: expect.any(String) }]);
    expect(doc.components.securitySchemes.companyOAuth.flows.authorizationCode.tokenUrl).toBe(
      `${v.ctx.config.publicUrl}/token`,
    );
    expect(JSON.stringify(doc)).not.toContain('vault.invalid');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'clientSecretBasic',
      'companyOAuth',
      'csrfToken',
      'dpopAccessToken',
      'initialAccessToken',
      'registrationAccessToken',
      'sessionCookie',
    ]);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        for (const [status, r] of Object.entries<any>(op.responses)) {
          if (!/^4/.test(status) && status !== 'default') continue;
          const media = Object.values<any>(r.content ?? {});
          expect(media.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
          for (const m of media)
            expect(m.schema, `${method} ${path} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        }
      }
    }
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'instance']);
  });

  it('when a route validates its input with a schema, then the document carries that schema', () => {
    // /api/criteria PUT is parsed with customerCriteriaSchema; its members appear as written.
    const criteria = doc.paths['/api/criteria'].put.requestBody.content['application/json'].schema;
    expect(Object.keys(criteria.properties)).toEqual(
      expect.arrayContaining(['maxRetentionDays', 'refusedPurposes', 'autoApprove']),
    );
    expect(criteria.additionalProperties).toBe(false);
    const events = doc.paths['/api/audit/events'].get.parameters.map((p: any) => p.name);
    expect(events).toEqual(expect.arrayContaining(['from', 'to', 'company', 'customer', 'action', 'before', 'limit']));
    const grantId = doc.paths['/api/grants/{id}'].get.parameters.find((p: any) => p.name === 'id');
    expect(grantId).toMatchObject({ in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
  });
});
