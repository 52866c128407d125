/**
 * The verification rules, shared by the export verifier (JSONL and CSV) and verifyRows (the live
 * table). Fed one event at a time in file order; stops at the first failure and names its seq.
 *
 * Per event, in this order (the order decides which seq is named when one change trips two rules):
 *  1. hash == SHA-256(prev || event bytes)            an edited event or prev       -> its seq
 *  2. the event's own seq == the line's seq            relabelled lines              -> the lower seq
 *  3. seq > the previous line's seq                     reordered or duplicated lines -> this seq
 *  4. seq == previous + 1 (when completeness is expected), and the first seq is 1
 *                                                       a deleted event               -> the missing seq
 *  5. where seqs are consecutive, prev == previous hash (seq 1: prev == genesis)
 *                                                       an edited event whose hash was recomputed
 *                                                       -> the previous seq (its successor still
 *                                                          commits to the original)
 *  6. at checkpoint.seq, hash == checkpoint.hash        a rewritten chain             -> checkpoint seq
 */
import { hash as sha256 } from 'node:crypto';
import { GENESIS_HASH } from './chain.ts';
import type { Checkpoint } from './export-format.ts';
import { decodeHash, eventSeqFromTail, sameHash } from './verify-line.ts';

/** The seq inside an event's text, or -1 (the slow path, for events of an unusual shape). */
export function seqInside(text: string): number {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && 'seq' in v && Number.isSafeInteger(v.seq)) return v.seq as number;
  } catch {
    // not JSON: the caller reports it
  }
  return -1;
}

export type VerifyResult =
  | {
      ok: true;
      events: number;
      firstSeq: number;
      lastSeq: number;
      /** The signed checkpoint (signature verified), or null when the input carried none. */
      checkpoint: Checkpoint | null;
      /** The checkpoint's seq was in the input and its hash matched the recomputed chain. */
      anchored: boolean;
      /** Every event from seq 1 up to the checkpoint is present, linked, and matches it. */
      complete: boolean;
    }
  | { ok: false; badSeq: number; reason: string; events: number };

export interface CheckerOptions {
  checkpoint: Checkpoint | null;
  /** Fail at the first gap, and at the end unless the events run from 1 to the checkpoint. */
  expectComplete: boolean;
  /**
   * Exports: complete needs a signed checkpoint and ends exactly at it. The live table: complete
   * means contiguous from seq 1 (and through the checkpoint, if one is given); it may have grown
   * past its latest checkpoint.
   */
  live: boolean;
}

function missing(from: number, to: number): string {
  return from === to ? `event ${from} is` : `events ${from}..${to} are`;
}

export class ChainChecker {
  events = 0;
  private firstSeq = 0;
  private lastSeq = 0;
  private lastHash = '';
  private contiguous = true;
  private anchored = false;
  private failure: { badSeq: number; reason: string } | null = null;
  /** prev bytes followed by the event bytes: the hash preimage, reused across events. */
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly opts: CheckerOptions) {}

  /** The seq a well-formed next line would have; used to place a malformed line. */
  get nextSeq(): number {
    return this.lastSeq + 1;
  }

  fail(badSeq: number, reason: string): false {
    this.failure ??= { badSeq, reason };
    return false;
  }

  /**
   * Checks one event whose prev and hash are 64 hex bytes at prevPos/hashPos of `buf` and whose
   * canonical text is buf[evStart, evEnd). eventSeq is the seq inside the event text.
   */
  check(buf: Buffer, seq: number, prevPos: number, hashPos: number, evStart: number, evEnd: number, eventSeq: number): boolean {
    if (seq < 1) return this.fail(0, `seq ${seq} is not a positive integer`);
    const len = 32 + evEnd - evStart;
    if (len > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(len, 2 * this.scratch.length));
    if (!decodeHash(buf, prevPos, this.scratch, 0)) return this.fail(seq, `seq ${seq}: prev is not a 64-digit lowercase hex hash`);
    buf.copy(this.scratch, 32, evStart, evEnd);
    const digest = sha256('sha256', this.scratch.subarray(0, len), 'hex');
    if (!sameHash(buf, hashPos, digest)) return this.fail(seq, `seq ${seq}: hash does not match its prev and event (edited)`);
    if (eventSeq !== seq) {
      return this.fail(Math.min(seq, eventSeq), `line seq ${seq} carries event seq ${eventSeq} (relabelled, inserted or deleted)`);
    }
    const last = this.lastSeq;
    if (this.events > 0 && seq <= last) {
      return this.fail(seq, `seq ${seq} comes after seq ${last} (reordered or duplicated)`);
    }
    if (seq === 1) {
      if (!sameHash(buf, prevPos, GENESIS_HASH)) {
        return this.fail(1, 'seq 1 does not link to the genesis hash');
      }
    } else if (this.events > 0 && seq === last + 1) {
      if (!sameHash(buf, prevPos, this.lastHash)) {
        return this.fail(last, `seq ${seq} does not link to seq ${last}: seq ${last} was altered or replaced`);
      }
    } else {
      const missingFrom = this.events === 0 ? 1 : last + 1;
      this.contiguous = false;
      if (this.opts.expectComplete) {
        return this.fail(missingFrom, `${missing(missingFrom, seq - 1)} missing`);
      }
    }
    return this.afterLink(seq, digest);
  }

  private afterLink(seq: number, digest: string): boolean {
    const cp = this.opts.checkpoint;
    if (cp !== null) {
      if (seq === cp.seq) {
        if (digest !== cp.hash) {
          return this.fail(seq, `seq ${seq}: hash differs from the signed checkpoint (the chain was rewritten at or before it)`);
        }
        this.anchored = true;
      } else if (seq > cp.seq && !this.opts.live && this.opts.expectComplete) {
        return this.fail(cp.seq + 1, `events after the checkpoint (seq ${cp.seq}) are not covered by its signature`);
      }
    }
    if (this.events === 0) this.firstSeq = seq;
    this.events++;
    this.lastSeq = seq;
    this.lastHash = digest;
    return true;
  }

  /** Checks an event given as strings (verifyRows, CSV); the same rules over its UTF-8 bytes. */
  checkText(seq: number, prev: string, hash: string, body: string): boolean {
    if (prev.length !== 64 || hash.length !== 64) return this.fail(seq, `seq ${seq}: prev or hash is not a 64-digit hex hash`);
    const buf = Buffer.from(prev + hash + body, 'utf8');
    // prev and hash are ASCII if valid; a multi-byte character would shift the event and fail the hash.
    let eventSeq = eventSeqFromTail(buf, 128, buf.length);
    if (eventSeq < 0) eventSeq = seqInside(body);
    if (eventSeq < 0) return this.fail(seq, `seq ${seq}: the event is not a JSON object with a seq`);
    return this.check(buf, seq, 0, 64, 128, buf.length, eventSeq);
  }

  finish(): VerifyResult {
    if (this.failure) return { ok: false, ...this.failure, events: this.events };
    const cp = this.opts.checkpoint;
    const fromGenesis = this.events === 0 || this.firstSeq === 1;
    const emptyAndCovered = this.events === 0 && cp !== null && cp.seq === 0 && cp.hash === GENESIS_HASH;
    const reachesCheckpoint = cp === null
      ? this.opts.live
      : (this.anchored || emptyAndCovered) && (this.opts.live || this.lastSeq === cp.seq);
    const complete = this.contiguous && fromGenesis && reachesCheckpoint;
    if (this.opts.expectComplete && !complete) {
      if (!fromGenesis) this.fail(1, `${missing(1, this.firstSeq - 1)} missing`);
      else if (cp === null) this.fail(0, 'no signed checkpoint: completeness cannot be proven');
      else if (this.lastSeq < cp.seq) this.fail(this.lastSeq + 1, `${missing(this.lastSeq + 1, cp.seq)} missing (the checkpoint covers seq ${cp.seq})`);
      else this.fail(cp.seq, `checkpoint seq ${cp.seq} is not in the input`);
      return this.finish();
    }
    return {
      ok: true,
      events: this.events,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      checkpoint: cp,
      anchored: this.anchored || emptyAndCovered,
      complete,
    };
  }
}
