/**
 * The verification rules, shared by the export verifier (JSONL and CSV, sequential or split
 * across threads) and verifyRows (the live table). Fed one event at a time in file order; stops
 * at the first failure and names its seq.
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
 * Rules 1-2 concern one line ("self"); 3-6 relate it to the line before ("relate").
 *
 * One chain among several (`sparse`, driven by verify/chains-checker.ts): the chain's seqs are the global
 * ones, so they need not be consecutive. Rule 4 is then left to the links: the chain's first event links to
 * the genesis hash and each later one to the chain's previous event (rule 5 for every event), and the chain
 * must reach the head its checkpoint signed.
 */
import { hash as sha256 } from 'node:crypto';
import { GENESIS_HASH } from '../chain/chain.ts';
import type { Checkpoint } from '../export/format.ts';
import { decodeHash, eventSeqFromTail, sameDigest } from './line.ts';

export type VerifyResult =
  | {
      ok: true;
      events: number;
      firstSeq: number;
      lastSeq: number;
      /** The signed checkpoint (signature verified), or null when the input carried none. */
      checkpoint: Checkpoint | null;
      /**
       * The signed checkpoint covers every event: they form one unbroken chain (each links to the
       * one before) whose hash at checkpoint.seq matches it, and a file ends there (the live table
       * may run past it). Hashing is unkeyed, so without this nothing proves the events genuine.
       */
      anchored: boolean;
      /** Every event from seq 1 up to the checkpoint is present, linked, and matches it. */
      complete: boolean;
      /** Several chains: how each one verified (verify/chains-checker.ts). */
      chains?: ChainSummary[];
    }
  | { ok: false; badSeq: number; reason: string; events: number; failures?: ChainFailure[] };

export interface ChainSummary {
  chain: string;
  events: number;
  lastSeq: number;
  anchored: boolean;
  complete: boolean;
}

/** The first failure of one chain among several. */
export interface ChainFailure {
  chain: string;
  badSeq: number;
  reason: string;
}

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
  /**
   * A later slice of a file checked on another thread: its first event is only self-checked and
   * handed back as `deferred`, for the thread that knows the event before it to relate.
   */
  continuation?: boolean;
  /** One chain among several: seqs are global, so completeness is shown by links, not consecutive seqs. */
  sparse?: boolean;
  /** Check several chains (verify/chains-checker.ts) even without a checkpoint that lists them (the live table). */
  multi?: boolean;
}

/** What a checker knows after some events; slices checked in parallel are merged through it. */
export interface ChainState {
  events: number;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  /** No gap between the first event and the last (a gap before the first is fromGenesis's concern). */
  contiguous: boolean;
  /** The event at checkpoint.seq was seen and its hash matched. */
  anchored: boolean;
  failure: { badSeq: number; reason: string; events: number } | null;
  /** A continuation's first event, self-checked but not yet related to its predecessor. */
  deferred: { seq: number; prev: string; hash: string } | null;
  /** Sparse: the first event links to the genesis hash. */
  genesis?: boolean;
  /** Several chains: each chain's state (verify/chains-checker.ts). */
  multi?: MultiState;
}

export interface MultiState {
  chains: Record<string, ChainState>;
  /** Chain ids in the order of their first event here. */
  order: string[];
}

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

/**
 * Digests are carried as 32-character latin1 strings (one character per byte): V8 makes such a string
 * faster than a hex one, and returning a Buffer cost twice as much as either (a backing store per event).
 */
const digestOf = (hex: string): string => Buffer.from(hex, 'hex').toString('binary');
const hexOf = (digest: string): string => Buffer.from(digest, 'binary').toString('hex');
const GENESIS_DIGEST = digestOf(GENESIS_HASH);
const HASH_HEX = /^[0-9a-f]{64}$/;

function missing(from: number, to: number): string {
  return from === to ? `event ${from} is` : `events ${from}..${to} are`;
}

export class ChainChecker {
  private s: ChainState = {
    events: 0,
    firstSeq: 0,
    lastSeq: 0,
    lastHash: '',
    contiguous: true,
    anchored: false,
    failure: null,
    deferred: null,
  };
  /**
   * The last accepted event's digest (s.lastHash, its hex, is written when the state is read): digests
   * are compared as bytes, so no hex string is built or compared per event.
   */
  private lastDigest = '';
  /** The line's hash field decoded, reused across events. */
  private claimed = new Uint8Array(32);
  /** The checkpoint's hash as a digest; null when it is not a lowercase hex digest (then no event matches it). */
  private readonly cpDigest: string | null;
  /** prev bytes followed by the event bytes, for events that cannot be hashed in place (see check). */
  private scratch: Buffer | undefined;

  constructor(private readonly opts: CheckerOptions) {
    const cp = opts.checkpoint;
    this.cpDigest = cp && HASH_HEX.test(cp.hash) ? digestOf(cp.hash) : null;
  }

  get events(): number {
    return this.s.events;
  }

  /**
   * The seq a well-formed next line would have; used to place a malformed line. -1 at the start of
   * a continuation, where only the merge knows it.
   */
  get nextSeq(): number {
    return this.opts.continuation && this.s.events === 0 ? -1 : this.s.lastSeq + 1;
  }

  get state(): ChainState {
    if (this.s.events > 0) this.s.lastHash = hexOf(this.lastDigest);
    return this.s;
  }

  fail(badSeq: number, reason: string): false {
    this.s.failure ??= { badSeq, reason, events: this.s.events };
    return false;
  }

  /**
   * Checks one event whose prev and hash are 64 hex bytes at prevPos/hashPos of `buf` and whose
   * canonical text is buf[evStart, evEnd). eventSeq is the seq inside the event text.
   *
   * The preimage is built where the event lies: prev's 32 decoded bytes overwrite the 32 bytes just
   * before the event (the end of the hash field and `","event":`, already read), so SHA-256 runs over
   * the read buffer without copying the event. So `buf` is changed before evStart; prev's hex is not.
   */
  check(
    buf: Buffer,
    seq: number,
    prevPos: number,
    hashPos: number,
    evStart: number,
    evEnd: number,
    eventSeq: number,
  ): boolean {
    if (seq < 1) return this.fail(0, `seq ${seq} is not a positive integer`);
    // Decoded before prev is written over its end (below); an invalid one is reported after prev, as a mismatch.
    const hashOk = decodeHash(buf, hashPos, this.claimed, 0);
    let pre = buf;
    let at = evStart - 32;
    if (at < 0 || (at < prevPos + 64 && prevPos < evStart)) {
      // prev's hex lies within the 32 bytes before the event (not the export layout): copy instead
      const len = 32 + evEnd - evStart;
      if (!this.scratch || len > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(len, 64 * 1024));
      pre = this.scratch;
      at = 0;
      buf.copy(pre, 32, evStart, evEnd);
    }
    if (!decodeHash(buf, prevPos, pre, at))
      return this.fail(seq, `seq ${seq}: prev is not a 64-digit lowercase hex hash`);
    // A plain Uint8Array view: Buffer#subarray builds a FastBuffer per event (about a tenth of a cold run's time).
    const digest = sha256('sha256', new Uint8Array(pre.buffer, pre.byteOffset + at, 32 + evEnd - evStart), 'binary');
    if (!hashOk || !sameDigest(this.claimed, 0, digest))
      return this.fail(seq, `seq ${seq}: hash does not match its prev and event (edited)`);
    if (eventSeq !== seq) {
      return this.fail(
        Math.max(0, Math.min(seq, eventSeq)),
        `line seq ${seq} carries event seq ${eventSeq} (relabelled, inserted or deleted)`,
      );
    }
    if (this.opts.continuation && this.s.events === 0) {
      this.s.deferred = { seq, prev: buf.toString('latin1', prevPos, prevPos + 64), hash: hexOf(digest) };
      return this.accept(seq, digest);
    }
    const first = this.opts.sparse ? this.s.events === 0 : seq === 1;
    const linked = sameDigest(pre, at, first ? GENESIS_DIGEST : this.lastDigest);
    return this.relate(seq, linked, digest);
  }

  /** Rules 3-6 for an event that passed 1-2; `linked` says whether its prev is the expected hash. */
  relate(seq: number, linked: boolean, digest: string): boolean {
    const { events, lastSeq: last } = this.s;
    if (events > 0 && seq <= last) {
      return this.fail(
        seq,
        seq === last
          ? `seq ${seq} appears twice (duplicated or inserted)`
          : `seq ${seq} comes after seq ${last} (reordered)`,
      );
    }
    if (this.opts.sparse) {
      if (!this.sparseLinks(seq, linked)) return false;
    } else if (seq === 1) {
      if (!linked) return this.fail(1, 'seq 1 does not link to the genesis hash');
    } else if (events > 0 && seq === last + 1) {
      if (!linked)
        return this.fail(last, `seq ${seq} does not link to seq ${last}: seq ${last} was altered or replaced`);
    } else {
      const missingFrom = events === 0 ? 1 : last + 1;
      if (events > 0) this.s.contiguous = false;
      if (this.opts.expectComplete)
        return this.fail(missingFrom, `${missing(missingFrom, seq - 1)} missing before seq ${seq} (deleted or moved)`);
    }
    const cp = this.opts.checkpoint;
    if (cp !== null) {
      if (seq === cp.seq) {
        if (digest !== this.cpDigest) {
          return this.fail(
            seq,
            `seq ${seq}: hash differs from the signed checkpoint (the chain was rewritten at or before it)`,
          );
        }
        this.s.anchored = true;
      } else if (seq > cp.seq && !this.opts.live && this.opts.expectComplete) {
        return this.fail(cp.seq + 1, `events after the checkpoint (seq ${cp.seq}) are not covered by its signature`);
      }
    }
    return this.accept(seq, digest);
  }

  /** Rules 4-5 for one chain among several: every event links to the chain's previous one, the first to genesis. */
  private sparseLinks(seq: number, linked: boolean): boolean {
    const { events, lastSeq: last } = this.s;
    if (events === 0) {
      this.s.genesis = linked;
      if (!linked && this.opts.expectComplete)
        return this.fail(
          seq,
          `seq ${seq}, its first event, does not link to the genesis hash (earlier events removed)`,
        );
    } else if (!linked) {
      this.s.contiguous = false;
      if (this.opts.expectComplete)
        return this.fail(
          last,
          `seq ${seq} does not link to seq ${last}, the chain's previous event: seq ${last} was altered, or an event between them was deleted or moved`,
        );
    }
    return true;
  }

  private accept(seq: number, digest: string): true {
    if (this.s.events === 0) this.s.firstSeq = seq;
    this.s.events++;
    this.s.lastSeq = seq;
    this.lastDigest = digest;
    return true;
  }

  /** Continues with a slice checked elsewhere (a continuation checker's state), in file order. */
  absorb(next: ChainState): boolean {
    if (this.s.failure) return false;
    const base = this.s.events;
    if (next.deferred) {
      const d = next.deferred;
      const first = this.opts.sparse ? this.s.events === 0 : d.seq === 1;
      const linked = d.prev === (first ? GENESIS_HASH : this.state.lastHash);
      if (!this.relate(d.seq, linked, digestOf(d.hash))) return false;
      this.s.events--; // counted again below, as part of the slice
    }
    if (next.failure) {
      const badSeq = next.failure.badSeq < 0 ? this.nextSeq : next.failure.badSeq;
      this.s.failure = { badSeq, reason: next.failure.reason, events: base + next.failure.events };
      return false;
    }
    if (next.events === 0) return true;
    if (this.s.events === 0 && !next.deferred) {
      this.s.firstSeq = next.firstSeq;
      this.s.genesis = next.genesis;
    }
    this.s.events = base + next.events;
    this.s.lastSeq = next.lastSeq;
    this.lastDigest = digestOf(next.lastHash);
    this.s.contiguous &&= next.contiguous;
    this.s.anchored ||= next.anchored;
    return true;
  }

  /** Checks an event given as strings (verifyRows, CSV); the same rules over its UTF-8 bytes. */
  checkText(seq: number, prev: string, hash: string, body: string): boolean {
    if (prev.length !== 64 || hash.length !== 64)
      return this.fail(seq, `seq ${seq}: prev or hash is not a 64-digit hex hash`);
    const buf = Buffer.from(prev + hash + body, 'utf8');
    // prev and hash are ASCII if valid; a multi-byte character would shift the event and fail the hash.
    let eventSeq = eventSeqFromTail(buf, 128, buf.length);
    if (eventSeq < 0) eventSeq = seqInside(body);
    if (eventSeq < 0) return this.fail(seq, `seq ${seq}: the event is not a JSON object with a seq`);
    return this.check(buf, seq, 0, 64, 128, buf.length, eventSeq);
  }

  /** Why one chain among several is not complete (the chain's id is added by verify/chains-checker.ts). */
  private sparseIncomplete(fromGenesis: boolean): void {
    const { s } = this;
    const cp = this.opts.checkpoint;
    if (!fromGenesis) this.fail(s.firstSeq, `its events before seq ${s.firstSeq} are missing`);
    else if (cp === null) this.fail(s.firstSeq, 'the signed checkpoint does not cover this chain');
    else if (s.events === 0)
      this.fail(cp.seq, `no events, but the checkpoint signs its head at seq ${cp.seq} (the chain was dropped)`);
    else if (s.lastSeq < cp.seq)
      this.fail(
        cp.seq,
        `ends at seq ${s.lastSeq}, short of the head the checkpoint signed at seq ${cp.seq} (cut short)`,
      );
    else this.fail(cp.seq, `the checkpoint's head seq ${cp.seq} is not in the input`);
  }

  finish(): VerifyResult {
    const s = this.s;
    if (s.failure) return { ok: false, badSeq: s.failure.badSeq, reason: s.failure.reason, events: s.failure.events };
    const cp = this.opts.checkpoint;
    const fromGenesis = s.events === 0 || (this.opts.sparse ? s.genesis === true : s.firstSeq === 1);
    const emptyAndCovered = s.events === 0 && cp !== null && cp.seq === 0 && cp.hash === GENESIS_HASH;
    // Only a run of linked events reaching the checkpoint is authenticated by its signature: an
    // event before a gap could have been edited and its hash recomputed (the link after it is gone).
    const anchored =
      emptyAndCovered || (cp !== null && s.anchored && s.contiguous && (this.opts.live || s.lastSeq === cp.seq));
    const complete = fromGenesis && (cp === null ? this.opts.live && s.contiguous : anchored);
    if (this.opts.expectComplete && !complete && this.opts.sparse) {
      this.sparseIncomplete(fromGenesis);
      return this.finish();
    }
    if (this.opts.expectComplete && !complete) {
      if (!fromGenesis) this.fail(1, `${missing(1, s.firstSeq - 1)} missing`);
      else if (cp === null) this.fail(0, 'no signed checkpoint: completeness cannot be proven');
      else if (s.lastSeq < cp.seq)
        this.fail(s.lastSeq + 1, `${missing(s.lastSeq + 1, cp.seq)} missing (the checkpoint covers seq ${cp.seq})`);
      else this.fail(cp.seq, `checkpoint seq ${cp.seq} is not in the input`);
      return this.finish();
    }
    return { ok: true, events: s.events, firstSeq: s.firstSeq, lastSeq: s.lastSeq, checkpoint: cp, anchored, complete };
  }
}
