import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleIn } from './worker-bundle.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-bundle-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Starts a worker from `url` without any loader and resolves once it says it is ready. */
async function startsReady(url: URL): Promise<boolean> {
  const worker = new Worker(url, { execArgv: [] });
  try {
    return await new Promise<boolean>((resolve) => {
      worker.once('message', (m: { type?: string }) => resolve(m.type === 'ready'));
      worker.once('error', () => resolve(false));
    });
  } finally {
    await worker.terminate();
  }
}

describe('the verify worker bundle kept on disk', () => {
  it('when nothing is cached, then it builds, caches, and the next call starts workers from the cached file', async () => {
    const first = await bundleIn(dir);
    expect(first.protocol).toBe('data:');
    const second = await bundleIn(dir);
    expect(second.protocol).toBe('file:');
    expect(await startsReady(second)).toBe(true);
  });

  it('when the cached bundle was altered or torn, then it is built again instead of run', async () => {
    await bundleIn(dir);
    const code = join(dir, 'verify-worker.mjs');
    const good = await readFile(code, 'utf8');
    await writeFile(code, `${good}\nthrow new Error('planted');\n`);
    const url = await bundleIn(dir);
    expect(url.protocol).toBe('data:');
    expect(await readFile(code, 'utf8')).toBe(good);
    expect(await startsReady(url)).toBe(true);
  });

  it('when the sources named in the manifest no longer hash to its digest, then it is built again', async () => {
    await bundleIn(dir);
    const manifestFile = join(dir, 'verify-worker.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { inputs: string[]; digest: string };
    expect(manifest.inputs).toContain('server/audit/verify/chain-checker.ts');
    // As if a source had changed since: one more file's text enters the digest.
    await writeFile(manifestFile, JSON.stringify({ ...manifest, inputs: [...manifest.inputs, 'package.json'] }));
    expect((await bundleIn(dir)).protocol).toBe('data:');
    expect(fileURLToPath(await bundleIn(dir))).toBe(join(dir, 'verify-worker.mjs'));
  });
});
