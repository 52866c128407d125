/**
 * Test fixtures shared by the audit tests: a realistic chain, a signing key, and an in-memory
 * export. Not imported by production code.
 */
import { exportJWK, generateKeyPair } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { GENESIS_HASH, nextLink } from '../../server/audit/chain/chain.ts';
import { signCheckpoint } from '../../server/audit/checkpoints/checkpoint.ts';
import type { AuditEvent, AuditRow } from '../../server/audit/chain/event.ts';
import { exportEvents } from '../../server/audit/export/export.ts';
import type { Checkpoint, ExportFilter, SignedCheckpoint } from '../../server/audit/export/format.ts';

export function sampleEvent(i: number): Omit<AuditEvent, 'seq'> {
  const base = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
  if (i % 5 === 4) {
    return {
      time: base,
      action: 'data.denied',
      actor: { kind: 'company', id: `cmp_${i % 7}` },
      customerId: `cus_${i % 11}`,
      companyId: `cmp_${i % 7}`,
      purpose: 'marketing',
      fields: ['health.conditions'],
      decision: 'deny',
      reasons: [{ code: 'purpose.refused', message: 'The customer refuses this purpose, "marketing".' }],
      policyVersion: 'sha256:abc123',
      requestId: `req_${i}`,
    };
  }
  return {
    time: base,
    action: 'data.read',
    actor: { kind: 'company', id: `cmp_${i % 7}` },
    customerId: `cus_${i % 11}`,
    companyId: `cmp_${i % 7}`,
    grantId: `grt_${i % 13}`,
    purpose: 'order-fulfilment',
    fields: ['contact.email', 'address.postal'],
    decision: 'allow',
    policyVersion: 'sha256:abc123',
    requestId: `req_${i}`,
    detail: { count: 2, cached: false },
  };
}

export function buildChain(n: number, make: (i: number) => Omit<AuditEvent, 'seq'> = sampleEvent): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const link = nextLink(prev, make(seq), seq);
    rows.push({ seq, body: link.body, prev_hash: prev, hash: link.hash });
    prev = link.hash;
  }
  return rows;
}

export interface TestKey {
  sign: (cp: Checkpoint) => Promise<SignedCheckpoint>;
  jwks: JSONWebKeySet;
}

export async function makeKey(kid = 'k1'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    sign: async (cp) => ({ ...cp, jws: await signCheckpoint(cp, { key: privateKey, kid, alg: 'EdDSA' }) }),
  };
}

export const CHECKPOINT_TIME = '2025-02-01T00:00:00.000Z';

/** Collects an export in memory. */
export async function exportToString(
  rows: AuditRow[],
  opts: { format: 'jsonl' | 'csv'; checkpoint?: SignedCheckpoint | null; filter?: ExportFilter },
): Promise<string> {
  const chunks: Uint8Array[] = [];
  const sink = {
    write: (chunk: Uint8Array) => (chunks.push(chunk), true),
    once: () => sink,
    removeListener: () => sink,
  };
  await exportEvents(rows, sink, opts);
  return Buffer.concat(chunks).toString('utf8');
}

/** A full export of `rows` covered by a checkpoint at its last event. */
export async function fullExport(rows: AuditRow[], key: TestKey, format: 'jsonl' | 'csv' = 'jsonl'): Promise<string> {
  const last = rows.at(-1);
  const checkpoint = await key.sign({ seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, time: CHECKPOINT_TIME });
  return exportToString(rows, { format, checkpoint });
}
