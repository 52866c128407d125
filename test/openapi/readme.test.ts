import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../server/http/openapi/index.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = (title: string) => README.split(/^## /m).find((s) => s.startsWith(title)) ?? '';

describe('the README sections for companies and auditors', () => {
  const doc = openApiDocument('https://vault.example') as { paths: Record<string, unknown> };
  const templates = Object.keys(doc.paths).map(
    (p) => new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
  );

  it.each([['For companies'], ['For auditors']])(
    'when "%s" calls the vault, then every path it uses is a documented operation',
    (title) => {
      const text = section(title);
      expect(text.length).toBeGreaterThan(500);
      const paths = [...text.matchAll(/\$VAULT(\/[^\s"'?]*)/g)].map((m) => m[1]!.replace(/\$[A-Z_]+/g, 'x'));
      expect(paths.length).toBeGreaterThan(3);
      expect(paths.filter((p) => !templates.some((t) => t.test(p)))).toEqual([]);
    },
  );
});
