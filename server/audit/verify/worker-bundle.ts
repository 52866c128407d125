/**
 * The verify worker's code as one plain JavaScript module (verify/parallel.ts starts it). A worker
 * started through worker.mjs registers tsx's loader and compiles each TypeScript file again,
 * 100-250 ms before it checks a line; bundling it with esbuild avoids that, but starting esbuild and
 * building took 40-240 ms of each process's first verify, on a 200,000-event file as long as the check.
 * So the bundle is kept on disk, under node_modules/.cache (as trusted as the packages beside it,
 * unlike a shared temporary directory), with a manifest naming its source files and a SHA-256 over
 * their contents and the bundle itself: a changed source or a half-written file makes it build
 * again, so a stale or torn bundle never runs. If esbuild is not there, workers start through
 * worker.mjs as before.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ROOT = resolve(dirname(ENTRY), '..', '..', '..');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'consent-vault');
const files = (dir: string) => ({ code: join(dir, 'verify-worker.mjs'), manifest: join(dir, 'verify-worker.json') });

interface Manifest {
  /** The bundle's inputs, relative to the project root, as esbuild's metafile names them. */
  inputs: string[];
  digest: string;
}

async function digestOf(inputs: string[], code: Uint8Array | string): Promise<string> {
  const h = createHash('sha256');
  for (const input of inputs) {
    const text = await readFile(join(ROOT, input));
    h.update(`${input}\0${text.length}\0`).update(text);
  }
  return h.update(code).digest('hex');
}

/** The cached bundle's file URL when it is there and its sources have not changed since; else undefined. */
async function fromCache(dir: string): Promise<URL | undefined> {
  const { code: codeFile, manifest: manifestFile } = files(dir);
  try {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    const code = await readFile(codeFile);
    if (Array.isArray(manifest.inputs) && manifest.digest === (await digestOf(manifest.inputs, code)))
      return pathToFileURL(codeFile);
  } catch {
    // missing, unreadable or torn: build again
  }
  return undefined;
}

/** Writes by rename, so that a concurrent reader sees the old file or the new one, never half of one. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

async function build(dir: string): Promise<URL> {
  const { build: esbuild } = await import('esbuild');
  const out = await esbuild({
    entryPoints: [ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  const inputs = Object.keys(out.metafile.inputs).sort();
  try {
    const { code: codeFile, manifest: manifestFile } = files(dir);
    await mkdir(dir, { recursive: true });
    await writeAtomically(codeFile, code);
    await writeAtomically(manifestFile, JSON.stringify({ inputs, digest: await digestOf(inputs, code) }));
  } catch {
    // a read-only install: this process uses the bundle from memory, the next one builds again
  }
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export interface WorkerScript {
  url: URL;
  /** A bundle needs no loader: the worker starts without the parent's execArgv (tsx's loader). */
  bundled: boolean;
}

/** The bundle cached in `dir` (a file URL) if it is current, else a fresh build (a data URL) that is cached there. */
export async function bundleIn(dir: string): Promise<URL> {
  return (await fromCache(dir)) ?? build(dir);
}

let script: Promise<WorkerScript> | undefined;

/** Where to start a verify worker from: the cached bundle, a fresh one, or worker.mjs. Settled once per process. */
export function workerScript(): Promise<WorkerScript> {
  script ??= bundleIn(CACHE_DIR)
    .then((url) => ({ url, bundled: true }))
    .catch(() => ({ url: new URL('./worker.mjs', import.meta.url), bundled: false }));
  return script;
}
