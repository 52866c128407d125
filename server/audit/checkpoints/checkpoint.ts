/**
 * Signed checkpoints (ARCHITECTURE.md, "The audit trail"): the server signs {seq, hash, time} with its signing key so an
 * auditor holding only the JWKS can tell that the chain up to seq is the one the server vouched for.
 *
 * Compact JWS (RFC 7515) with protected header {alg, kid, typ: "vault-checkpoint+jwt"}. The typ is
 * checked on verify because the same key signs access tokens and consent receipts (RFC 8725 §3.11,
 * explicit typing): without it, any other JWS from this key could be passed off as a checkpoint.
 */
import { CompactSign, compactVerify, createLocalJWKSet, errors } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK, KeyObject } from 'jose';
import { z } from 'zod';
import { isHashHex } from '../chain/chain.ts';
import { isChainId } from '../chain/chains.ts';
import type { ChainHead } from '../chain/chains.ts';
import type { Checkpoint } from '../export/format.ts';

export const CHECKPOINT_TYP = 'vault-checkpoint+jwt';
export const CHECKPOINT_ALGS = ['EdDSA', 'ES256'] as const;
export type CheckpointAlg = (typeof CHECKPOINT_ALGS)[number];

/** Either a key to sign with, or a callback to the keyring that returns a compact JWS. */
export type CheckpointSigner =
  | { key: CryptoKey | KeyObject | JWK | Uint8Array; kid: string; alg: CheckpointAlg }
  | ((payload: Uint8Array, header: { typ: typeof CHECKPOINT_TYP }) => Promise<string>);

const checkpointSchema = z.strictObject({
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  hash: z.string().refine(isHashHex, 'hash must be 64 lowercase hex digits'),
  time: z.iso.datetime({ precision: 3 }),
});

/**
 * Several chains (audit/chain/chains.ts): one payload signs every chain's head together, `{chains: [{chain, seq,
 * hash}…] sorted by chain, time}`, so that no chain can be cut short or dropped unseen. A vault with one chain
 * (SQLite) keeps signing `{seq, hash, time}`, the form every existing export carries.
 */
const headSchema = z.strictObject({
  chain: z.string().refine(isChainId, 'chain must be a server-made chain id'),
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  hash: z.string().refine(isHashHex, 'hash must be 64 lowercase hex digits'),
});
const chainsCheckpointSchema = z.strictObject({
  chains: z
    .array(headSchema)
    .min(1)
    .refine((l) => l.every((h, i) => i === 0 || l[i - 1]!.chain < h.chain), 'chains must be sorted, each once'),
  time: z.iso.datetime({ precision: 3 }),
});

/** Parsed once per verify: zod's compiled fast path would cost more than it saves (export/header.ts). */
const ONCE = { jitless: true } as const;

/** The payload a checkpoint signs: {seq, hash, time} for one chain, {chains, time} for several. */
export function checkpointPayload(cp: Checkpoint): Record<string, unknown> {
  if (cp.chains) {
    const chains = [...cp.chains]
      .sort((a, b) => (a.chain < b.chain ? -1 : 1))
      .map((h) => ({ chain: h.chain, seq: h.seq, hash: h.hash }));
    return chainsCheckpointSchema.parse({ chains, time: cp.time });
  }
  const valid = checkpointSchema.parse({ seq: cp.seq, hash: cp.hash, time: cp.time });
  return { seq: valid.seq, hash: valid.hash, time: valid.time };
}

/** A checkpoint over several chains; seq and hash are those of the newest head (the global head). */
export function chainsCheckpoint(chains: ChainHead[], time: string): Checkpoint {
  const sorted = [...chains].sort((a, b) => (a.chain < b.chain ? -1 : 1));
  const newest = sorted.reduce((a, b) => (b.seq > a.seq ? b : a));
  return { seq: newest.seq, hash: newest.hash, time, chains: sorted };
}

/** The exact payload bytes: fixed key order, so two signers produce the same preimage. */
function payloadOf(cp: Checkpoint): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(checkpointPayload(cp)));
}

export async function signCheckpoint(cp: Checkpoint, signer: CheckpointSigner): Promise<string> {
  const payload = payloadOf(cp);
  if (typeof signer === 'function') return signer(payload, { typ: CHECKPOINT_TYP });
  return new CompactSign(payload)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: CHECKPOINT_TYP })
    .sign(signer.key);
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * Verifies the signature against the JWKS, the explicit type, and the payload's shape.
 * Throws CheckpointError with a sentence an auditor can act on.
 */
export async function verifyCheckpoint(jws: string, jwks: JSONWebKeySet): Promise<Checkpoint & { kid?: string }> {
  let result;
  try {
    result = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: [...CHECKPOINT_ALGS] });
  } catch (err) {
    if (err instanceof errors.JWKSNoMatchingKey) {
      throw new CheckpointError('checkpoint is signed by a key that is not in the JWKS');
    }
    if (err instanceof errors.JOSEError) {
      throw new CheckpointError(`checkpoint signature is not valid (${err.code})`);
    }
    throw new CheckpointError('checkpoint is not a compact JWS');
  }
  if (result.protectedHeader.typ !== CHECKPOINT_TYP) {
    throw new CheckpointError(`signed object is not a checkpoint (typ ${String(result.protectedHeader.typ)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(result.payload));
  } catch {
    throw new CheckpointError('checkpoint payload is not JSON');
  }
  const kid = result.protectedHeader.kid;
  const several = chainsCheckpointSchema.safeParse(parsed, ONCE);
  if (several.success) {
    const cp = chainsCheckpoint(several.data.chains, several.data.time);
    return kid === undefined ? cp : { ...cp, kid };
  }
  const cp = checkpointSchema.safeParse(parsed, ONCE);
  if (!cp.success) throw new CheckpointError('checkpoint payload is not {seq, hash, time} nor {chains, time}');
  return kid === undefined ? cp.data : { ...cp.data, kid };
}
