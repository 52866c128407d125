import type { Express } from 'express';
import { toOpenApiPath } from '../../server/http/openapi/index.ts';

export interface RouteKey {
  method: string;
  /** OpenAPI form: /api/grants/{id}. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  slash?: boolean;
  rawPath?: unknown;
}

/**
 * Every route the express app serves, found by walking its router (express 5: app.router.stack,
 * nested routers' handle.stack). Throws on what it cannot describe, so a new kind of mount fails
 * the test loudly instead of hiding routes.
 */
export function routesOf(app: Express): RouteKey[] {
  const out: RouteKey[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (!on) continue;
          if (method === '_all') throw new Error(`app.all(${paths.join(', ')}) cannot be documented per method`);
          for (const p of paths) {
            if (typeof p !== 'string') throw new Error(`route path ${String(p)} is not a string`);
            out.push({ method, path: toOpenApiPath(prefix + p) });
          }
        }
      } else if (layer.handle?.stack) {
        const mount = layer.slash
          ? ''
          : typeof layer.rawPath === 'string'
            ? layer.rawPath.replace(/\/$/, '')
            : undefined;
        if (mount === undefined)
          throw new Error(`a router is mounted at ${String(layer.rawPath)}; the walk cannot tell its prefix`);
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}

export const keyOf = (r: RouteKey) => `${r.method.toUpperCase()} ${r.path}`;
