import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { chainHash } from '../../server/audit/chain/chain.ts';
import type { AuditRow } from '../../server/audit/chain/event.ts';
import { jsonlLine } from '../../server/audit/export/format.ts';
import {
  buildChain,
  CHECKPOINT_TIME,
  exportToString,
  fullExport,
  makeKey,
  sampleEvent,
} from '../support/audit-chain.ts';
import { runCli } from '../../server/cli/main.ts';

/** `npm run vault -- audit verify` as an auditor runs it, on files an attacker could hand them. */
const N = 30;
const rows = buildChain(N);
const dir = mkdtempSync(join(tmpdir(), 'audit-verify-cli-'));
const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
let jwks: string;
let otherJwks: string;
const files: Record<string, string> = {};

beforeAll(async () => {
  const key = await makeKey();
  jwks = file('jwks.json', JSON.stringify(key.jwks));
  otherJwks = file('other-jwks.json', JSON.stringify((await makeKey()).jwks));
  files.genuine = file('genuine.jsonl', await fullExport(rows, key));

  // QA 1: every data.read of cus_3 deleted, the rest renumbered and the unkeyed chain recomputed;
  // the signed header, which would no longer match, dropped.
  const kept = Array.from({ length: N }, (_, i) => sampleEvent(i + 1)).filter(
    (e) => !(e.customerId === 'cus_3' && e.action === 'data.read'),
  );
  expect(kept.length).toBeLessThan(N);
  files.forged = file(
    'forged.jsonl',
    buildChain(kept.length, (i) => kept[i - 1]!)
      .map(jsonlLine)
      .join(''),
  );

  // QA 2
  files.empty = file('empty.jsonl', '');

  // QA 3: a data.read export (as `?action=data.read` gives) with seq 8's fields edited and its hash
  // recomputed; seq 9 is a denial, so no link in the file commits to seq 8's old hash.
  const checkpoint = await key.sign({ seq: N, hash: rows[N - 1]!.hash, time: CHECKPOINT_TIME });
  const edit = (r: AuditRow): AuditRow => {
    if (r.seq !== 8) return r;
    const body = r.body.replace('"contact.email"', '"health.conditions"');
    return { ...r, body, hash: chainHash(r.prev_hash, body) };
  };
  expect(rows[8]!.body).toContain('"data.denied"');
  const reads = rows.filter((r) => r.body.includes('"action":"data.read"'));
  files.filteredEdit = file(
    'filtered-edit.jsonl',
    await exportToString(reads.map(edit), { format: 'jsonl', checkpoint, filter: { action: 'data.read' } }),
  );
  files.filtered = file(
    'filtered.jsonl',
    await exportToString(reads, { format: 'jsonl', checkpoint, filter: { action: 'data.read' } }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function verify(...args: string[]) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const code = await runCli(['audit', 'verify', ...args]);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

describe('audit verify: exit 0 only for a file a signed checkpoint covers', () => {
  it('when the file is a genuine unfiltered export, then it exits 0 and says complete', async () => {
    const r = await verify(files.genuine!, '--jwks', jwks);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `OK: ${N} events (seq 1..${N}) verified; complete up to the checkpoint signed for seq ${N} at ${CHECKPOINT_TIME}\n`,
    );
    expect(JSON.parse((await verify(files.genuine!, '--jwks', jwks, '--json')).stdout)).toMatchObject({
      ok: true,
      anchored: true,
      complete: true,
    });
  });

  it.each([
    [
      'a forged export (events deleted, chain recomputed, header dropped)',
      'forged',
      /^FAILED: not anchored: no signed checkpoint covers these events; their integrity is not proven \(\d+ events \(seq 1\.\.\d+\) consistent/,
    ],
    [
      'an empty file',
      'empty',
      /^FAILED: not anchored: the input is empty: no events and no signed checkpoint; their integrity is not proven/,
    ],
    [
      'a filtered export with one event edited and its hash recomputed',
      'filteredEdit',
      /^FAILED: not anchored: the signed checkpoint \(seq 30\) does not cover these events: they are not one unbroken chain .*their integrity is not proven/,
    ],
    [
      'a genuine filtered export',
      'filtered',
      /^FAILED: not anchored: the signed checkpoint \(seq 30\) does not cover these events/,
    ],
  ])('when the file is %s, then it exits 3 and says what is not proven', async (_name, which, message) => {
    const r = await verify(files[which]!, '--jwks', jwks);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(message);
    expect(JSON.parse((await verify(files[which]!, '--jwks', jwks, '--json')).stdout)).toMatchObject({
      ok: false,
      anchored: false,
      reason: expect.stringMatching(/^not anchored: /),
    });
  });

  it('when the checkpoint is signed by a key not in the JWKS, then it exits 3', async () => {
    const r = await verify(files.genuine!, '--jwks', otherJwks);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /^FAILED before any event: checkpoint (signature is not valid|is signed by a key that is not in the JWKS)/,
    );
  });

  it('when --allow-unanchored is given, then an unanchored file exits 0 with a WARNING line and "anchored": false', async () => {
    const r = await verify(files.filteredEdit!, '--jwks', jwks, '--allow-unanchored');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^WARNING: not anchored: .*their integrity is not proven .*accepted only because of --allow-unanchored\)\n$/,
    );
    const json = await verify(files.forged!, '--jwks', jwks, '--allow-unanchored', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      anchored: false,
      complete: false,
      warning: expect.stringMatching(/^not anchored: /),
    });
  });

  it('when --allow-unanchored is given, then an edit the chain shows still exits 3 naming its seq', async () => {
    const edited = file(
      'edited.jsonl',
      readFileSync(files.genuine!, 'utf8').replace('"time":"2025-01-01T00:00:05', '"time":"2024-01-01T00:00:05'),
    );
    const r = await verify(edited, '--jwks', jwks, '--allow-unanchored');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^FAILED at seq 5: /);
  });

  it.each([
    ['a file without --jwks', ['genuine'], /--jwks <file\|url> is required/],
    ['a file with --live', ['genuine', '--live'], /not both/],
    ['neither a file nor --live', [], /give an export file, or --live/],
  ])('when given %s, then it is a usage error: exit 2 and the reason on stderr', async (_name, args, message) => {
    const r = await verify(...args.map((a) => files[a] ?? a));
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
  });

  it('when run as a process on the forged export, then the process exits 3 and --json says ok: false', () => {
    const r = spawnSync(
      'node_modules/.bin/tsx',
      ['server/cli/main.ts', 'audit', 'verify', files.forged!, '--jwks', jwks, '--json'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, anchored: false });
  });
});
