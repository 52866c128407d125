/**
 * Reading an export's header (export/format.ts) and the JWKS it is checked against. The header is
 * unsigned: only its checkpoint's JWS is trusted, and the readable copy beside it must agree.
 */
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { CheckpointError, verifyCheckpoint } from '../checkpoints/checkpoint.ts';
import { EXPORT_FORMAT, EXPORT_VERSION, EXPORT_VERSION_CHAINS } from './format.ts';
import type { Checkpoint, ExportHeader } from './format.ts';

const headerSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().int(),
  filtered: z.boolean(),
  filter: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  checkpoint: z
    .object({
      seq: z.number(),
      hash: z.string(),
      time: z.string(),
      chains: z.array(z.object({ chain: z.string(), seq: z.number(), hash: z.string() })).optional(),
      jws: z.string(),
    })
    .nullable(),
});

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

/**
 * Each schema here parses once per verify: zod's compiled fast path (built on a schema's first parse) cost more
 * than it saves, a few ms of a 100,000-event verify's 0.2 s (README, "Audit verify on small files").
 */
const ONCE = { jitless: true } as const;

/** A JWKS given inline, as an http(s) URL (fetched once), or as a file path. */
export async function loadJwks(source: JSONWebKeySet | string): Promise<JSONWebKeySet> {
  let raw: unknown = source;
  if (typeof source === 'string') {
    if (/^https?:\/\//i.test(source)) {
      const res = await fetch(source, { signal: AbortSignal.timeout(10_000), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`could not fetch the JWKS from ${source}: HTTP ${res.status}`);
      raw = await res.json();
    } else {
      raw = JSON.parse(await readFile(source, 'utf8'));
    }
  }
  const parsed = jwksSchema.safeParse(raw, ONCE);
  if (!parsed.success) throw new Error('the JWKS is not a JSON Web Key Set ({"keys": [...]})');
  return parsed.data as JSONWebKeySet;
}

export type HeaderOutcome =
  { ok: true; header: ExportHeader; checkpoint: Checkpoint | null } | { ok: false; reason: string };

/** Validates the header and verifies its checkpoint signature against the JWKS. */
export async function readHeader(text: string, jwks: () => Promise<JSONWebKeySet>): Promise<HeaderOutcome> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the export header is not JSON' };
  }
  const parsed = headerSchema.safeParse(json, ONCE);
  if (!parsed.success) return { ok: false, reason: 'the export header does not have the vault-audit-export shape' };
  const header = parsed.data as ExportHeader;
  const version = parsed.data.version;
  if (version !== EXPORT_VERSION && version !== EXPORT_VERSION_CHAINS) {
    return {
      ok: false,
      reason: `export format version ${version} is not supported (expected ${EXPORT_VERSION} or ${EXPORT_VERSION_CHAINS})`,
    };
  }
  const claimed = header.checkpoint;
  if (claimed === null) return { ok: true, header, checkpoint: null };
  let signed: Checkpoint;
  try {
    signed = await verifyCheckpoint(claimed.jws, await jwks());
  } catch (err) {
    if (err instanceof CheckpointError) return { ok: false, reason: err.message };
    throw err;
  }
  const sameChains = JSON.stringify(signed.chains ?? null) === JSON.stringify(claimed.chains ?? null);
  if (signed.seq !== claimed.seq || signed.hash !== claimed.hash || signed.time !== claimed.time || !sameChains) {
    return { ok: false, reason: 'the checkpoint in the header differs from the one its signature covers' };
  }
  // Version 2 goes with a checkpoint of several chains, version 1 with one: the header is not signed, the JWS is.
  if ((version === EXPORT_VERSION_CHAINS) !== (signed.chains !== undefined)) {
    return { ok: false, reason: `export format version ${version} does not match its checkpoint's form` };
  }
  const { seq, hash, time, chains } = signed;
  return { ok: true, header, checkpoint: chains ? { seq, hash, time, chains } : { seq, hash, time } };
}
