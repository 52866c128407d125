/**
 * What a verify result proves, for the CLI's stdout and exit code: one sentence, and whether an
 * auditor may rely on it. The chain's hashes are unkeyed, so anyone can rewrite a file's events and
 * recompute them; only a signed checkpoint covering every event (`anchored`) makes a file evidence.
 * "Complete" is only claimed when the chain also runs from seq 1.
 */
import type { VerifyResult } from './chain-checker.ts';

type Verified = Extract<VerifyResult, { ok: true }>;

/** Why an ok result is not evidence, or null when a signed checkpoint covers every event. */
export function unanchoredReason(result: VerifyResult): string | null {
  if (!result.ok || result.anchored) return null;
  const cp = result.checkpoint;
  const why =
    cp !== null
      ? `the signed checkpoint (seq ${cp.seq}) does not cover these events: they are not one unbroken chain ending at it (a filtered or partial export)`
      : result.events === 0
        ? 'the input is empty: no events and no signed checkpoint'
        : 'no signed checkpoint covers these events';
  return `not anchored: ${why}; their integrity is not proven`;
}

export interface Verdict {
  /** Exit 0: the result is anchored, or unanchored and the caller knowingly accepted it. */
  ok: boolean;
  text: string;
  json: Record<string, unknown>;
}

export function verifyVerdict(result: VerifyResult, opts: { allowUnanchored?: boolean } = {}): Verdict {
  const unproven = unanchoredReason(result);
  if (!result.ok || !unproven) return { ok: result.ok, text: describeVerifyResult(result), json: { ...result } };
  const consistent = `${rangeOf(result)} consistent with each other`;
  if (!opts.allowUnanchored)
    return { ok: false, text: `FAILED: ${unproven} (${consistent})`, json: { ...result, ok: false, reason: unproven } };
  return {
    ok: true,
    text: `WARNING: ${unproven} (${consistent}; accepted only because of --allow-unanchored)`,
    json: { ...result, warning: unproven },
  };
}

const rangeOf = (r: Verified) =>
  r.events === 0 ? 'no events' : `${r.events} events (seq ${r.firstSeq}..${r.lastSeq})`;

export function describeVerifyResult(result: VerifyResult): string {
  if (!result.ok) {
    const where = result.badSeq > 0 ? `at seq ${result.badSeq}` : 'before any event';
    // Several chains: every chain's first failure, after the earliest one.
    const others = (result.failures ?? []).filter((f) => f.reason !== result.reason || f.badSeq !== result.badSeq);
    const also = others.map((f) => `; also at seq ${f.badSeq}: ${f.reason}`).join('');
    return `FAILED ${where}: ${result.reason}${also} (${result.events} events verified before it)`;
  }
  const chains = result.chains
    ? ` in ${result.chains.length} chains (${result.chains.map((c) => c.chain).join(', ')})`
    : '';
  const range = rangeOf(result) + chains;
  const cp = result.checkpoint;
  const unproven = unanchoredReason(result);
  if (unproven || !cp) return `NOT PROVEN: ${range} consistent with each other, but ${unproven ?? 'not anchored'}`;
  // The live table may have grown past its latest checkpoint: those rows are linked, not yet signed.
  const newer =
    result.lastSeq > cp.seq
      ? `; seq ${cp.seq + 1}..${result.lastSeq} are newer and not yet covered by a checkpoint`
      : '';
  if (result.complete)
    return `OK: ${range} verified; complete up to the checkpoint signed for seq ${cp.seq} at ${cp.time}${newer}`;
  return `OK: ${range} verified against the checkpoint signed for seq ${cp.seq} at ${cp.time}; NOT proven complete (seq 1..${result.firstSeq - 1} are not in the input)`;
}
