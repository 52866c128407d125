import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { NotFound } from './errors.ts';
import { openApiDocument } from './openapi/index.ts';
import { DOCS_ASSETS } from './openapi/service.ts';

const OWN_ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'docs-assets');
const VIEWER = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const FILES: Record<(typeof DOCS_ASSETS)[number], string> = {
  'swagger-ui.css': join(VIEWER, 'swagger-ui.css'),
  'swagger-ui-bundle.js': join(VIEWER, 'swagger-ui-bundle.js'),
  'docs.css': join(OWN_ASSETS, 'docs.css'),
  'docs.js': join(OWN_ASSETS, 'docs.js'),
  'favicon-32x32.png': join(VIEWER, 'favicon-32x32.png'),
};
const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
};
const isAsset = (name: string): name is keyof typeof FILES => Object.hasOwn(FILES, name);

/**
 * GET /openapi.json and the reference page at GET /docs. The viewer (swagger-ui-dist) is served from
 * our own origin under the app's strict CSP: no inline script or style (its initializer is our own
 * docs.js), no requests elsewhere (the online validator badge is off, the spec is /openapi.json).
 */
export function docsRoutes(publicUrl: string): Router {
  const r = Router();
  const document = JSON.stringify(openApiDocument(publicUrl));
  const page = readFileSync(join(OWN_ASSETS, 'docs.html'), 'utf8');

  r.get('/openapi.json', (_req, res) => {
    res.set('cache-control', 'no-cache').type('application/json').send(document);
  });
  r.get('/docs', (_req, res) => {
    res.set('cache-control', 'no-cache').type('text/html').send(page);
  });
  r.get('/docs/assets/:name', (req, res) => {
    const name = req.params.name;
    if (!isAsset(name)) throw new NotFound(`No asset ${name.slice(0, 60)}`);
    res.sendFile(FILES[name], {
      maxAge: '1h',
      headers: { 'content-type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' },
    });
  });
  return r;
}
