/**
 * One sentence per verify result, for the CLI's stdout and the auditor page: what was proven and
 * what was not. "Complete" is only claimed when the chain runs from seq 1 to the signed checkpoint.
 */
import type { VerifyResult } from './chain-checker.ts';

export function describeVerifyResult(result: VerifyResult): string {
  if (!result.ok) {
    const where = result.badSeq > 0 ? `at seq ${result.badSeq}` : 'before any event';
    return `FAILED ${where}: ${result.reason} (${result.events} events verified before it)`;
  }
  const range = result.events === 0 ? 'no events' : `${result.events} events (seq ${result.firstSeq}..${result.lastSeq})`;
  const cp = result.checkpoint;
  if (result.complete && cp) return `OK: ${range} verified; complete up to the checkpoint signed for seq ${cp.seq} at ${cp.time}`;
  if (cp && result.anchored) {
    return `OK: ${range} verified against the checkpoint for seq ${cp.seq}; NOT proven complete (a filtered or partial export)`;
  }
  if (cp) return `OK: ${range} verified one by one; NOT proven complete (the checkpoint's seq ${cp.seq} is not in this export)`;
  return `OK: ${range} verified one by one; NOT proven complete (no signed checkpoint)`;
}
