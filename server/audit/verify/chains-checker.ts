/**
 * Verifying several chains at once (audit/chain/chains.ts; ARCHITECTURE.md, "The audit trail"). Events come in
 * global seq order, interleaved; each is routed by the chain its hashed text names to that chain's own
 * ChainChecker (sparse: linked to the chain's previous event, the first to the genesis hash), and each chain must
 * reach the head the checkpoint signed for it. A chain the checkpoint lists but the input lacks is reported as
 * dropped; a chain the input has but the checkpoint does not list is not covered.
 *
 * Failures: one out of global order (a reordered or duplicated line, a malformed one) stops everything; a failure
 * inside one chain stops that chain only, so every chain's first failure is reported. The headline failure is
 * the lowest failing seq, which does not depend on the order slices checked in parallel are merged in.
 */
import { DEFAULT_CHAIN, chainOfEvent } from '../chain/chains.ts';
import type { Checkpoint } from '../export/format.ts';
import { ChainChecker, seqInside } from './chain-checker.ts';
import type { ChainFailure, ChainState, CheckerOptions, VerifyResult } from './chain-checker.ts';
import { eventSeqFromTail } from './line.ts';

/** Either checker: one chain (the single-chain rules, unchanged) or several. */
export type Checker = ChainChecker | ChainsChecker;

/** Several chains when the checkpoint lists them (export version 2) or the caller asks (the live table). */
export function createChecker(opts: CheckerOptions): Checker {
  return opts.checkpoint?.chains || opts.multi ? new ChainsChecker(opts) : new ChainChecker(opts);
}

export class ChainsChecker {
  private readonly per = new Map<string, ChainChecker>();
  /** Chain ids in the order of their first event. */
  private readonly order: string[] = [];
  private readonly failed = new Map<string, ChainFailure>();
  private readonly heads = new Map<string, Checkpoint>();
  private s = { events: 0, firstSeq: 0, lastSeq: 0, failure: null as ChainState['failure'] };

  constructor(private readonly opts: CheckerOptions) {
    const cp = opts.checkpoint;
    // A one-chain checkpoint (the live table's, from before a second chain) is the default chain's head.
    const heads = cp ? (cp.chains ?? [{ chain: DEFAULT_CHAIN, seq: cp.seq, hash: cp.hash }]) : [];
    for (const h of heads) this.heads.set(h.chain, { seq: h.seq, hash: h.hash, time: cp!.time });
  }

  private sub(chain: string): ChainChecker {
    let c = this.per.get(chain);
    if (!c) {
      const { checkpoint: _all, multi: _multi, ...rest } = this.opts;
      c = new ChainChecker({ ...rest, checkpoint: this.heads.get(chain) ?? null, sparse: true });
      this.per.set(chain, c);
      this.order.push(chain);
    }
    return c;
  }

  private noteFailure(chain: string, c: ChainChecker): void {
    const f = c.state.failure;
    if (f && !this.failed.has(chain))
      this.failed.set(chain, { chain, badSeq: f.badSeq, reason: `chain ${chain}: ${f.reason}` });
  }

  get events(): number {
    return this.s.events;
  }

  get nextSeq(): number {
    return this.opts.continuation && this.s.events === 0 ? -1 : this.s.lastSeq + 1;
  }

  get state(): ChainState {
    const chains: Record<string, ChainState> = {};
    for (const [id, c] of this.per) chains[id] = c.state;
    return {
      events: this.s.events,
      firstSeq: this.s.firstSeq,
      lastSeq: this.s.lastSeq,
      lastHash: '',
      contiguous: true,
      anchored: false,
      failure: this.s.failure,
      deferred: null,
      multi: { chains, order: [...this.order] },
    };
  }

  fail(badSeq: number, reason: string): false {
    this.s.failure ??= { badSeq, reason, events: this.s.events };
    return false;
  }

  /** Global order across chains, then the event's own chain's rules (ChainChecker.check). */
  check(
    buf: Buffer,
    seq: number,
    prevPos: number,
    hashPos: number,
    evStart: number,
    evEnd: number,
    eventSeq: number,
  ): boolean {
    if (this.s.failure) return false;
    if (seq < 1) return this.fail(0, `seq ${seq} is not a positive integer`);
    const chain = chainOfEvent(buf, evStart, evEnd);
    if (chain === null) return this.fail(seq, `seq ${seq}: the event names its chain in a form the vault never writes`);
    const last = this.s.lastSeq;
    if (this.s.events > 0 && seq <= last)
      return this.fail(
        seq,
        seq === last
          ? `seq ${seq} appears twice (duplicated or inserted)`
          : `seq ${seq} comes after seq ${last} (reordered)`,
      );
    if (this.s.events === 0) this.s.firstSeq = seq;
    this.s.events++;
    this.s.lastSeq = seq;
    const c = this.sub(chain);
    if (!this.failed.has(chain) && !c.check(buf, seq, prevPos, hashPos, evStart, evEnd, eventSeq))
      this.noteFailure(chain, c);
    return true;
  }

  /** An event given as strings (verifyRows, CSV). */
  checkText(seq: number, prev: string, hash: string, body: string): boolean {
    if (prev.length !== 64 || hash.length !== 64)
      return this.fail(seq, `seq ${seq}: prev or hash is not a 64-digit hex hash`);
    const buf = Buffer.from(prev + hash + body, 'utf8');
    let eventSeq = eventSeqFromTail(buf, 128, buf.length);
    if (eventSeq < 0) eventSeq = seqInside(body);
    if (eventSeq < 0) return this.fail(seq, `seq ${seq}: the event is not a JSON object with a seq`);
    return this.check(buf, seq, 0, 64, 128, buf.length, eventSeq);
  }

  /** Continues with a slice checked on another thread (verify/parallel.ts), in file order. */
  absorb(next: ChainState): boolean {
    if (this.s.failure) return false;
    if (this.s.events > 0 && next.events > 0 && next.firstSeq <= this.s.lastSeq) {
      const seq = next.firstSeq;
      const last = this.s.lastSeq;
      return this.fail(
        seq,
        seq === last
          ? `seq ${seq} appears twice (duplicated or inserted)`
          : `seq ${seq} comes after seq ${last} (reordered)`,
      );
    }
    const multi = next.multi ?? { chains: {}, order: [] };
    for (const chain of multi.order) {
      const c = this.sub(chain);
      if (!this.failed.has(chain) && !c.absorb(multi.chains[chain]!)) this.noteFailure(chain, c);
    }
    if (next.failure) {
      const badSeq = next.failure.badSeq < 0 ? this.nextSeq : next.failure.badSeq;
      this.s.failure = { badSeq, reason: next.failure.reason, events: this.s.events + next.failure.events };
      return false;
    }
    if (next.events === 0) return true;
    if (this.s.events === 0) this.s.firstSeq = next.firstSeq;
    this.s.events += next.events;
    this.s.lastSeq = next.lastSeq;
    return true;
  }

  finish(): VerifyResult {
    // A chain the checkpoint signed but the input never showed: its own checker reports it dropped.
    const g = this.s.failure;
    if (g) {
      // Checking stopped there: what the chains would show past it is unknown, so only earlier failures count.
      const failures = [...this.failed.values()].sort((a, b) => a.badSeq - b.badSeq);
      return { ok: false, badSeq: g.badSeq, reason: g.reason, events: g.events, failures };
    }
    for (const chain of [...this.heads.keys()].sort()) this.sub(chain);
    const summaries = [];
    for (const chain of [...this.order].sort()) {
      const c = this.per.get(chain)!;
      const r = c.finish();
      if (!r.ok) this.noteFailure(chain, c);
      else summaries.push({ chain, events: r.events, lastSeq: r.lastSeq, anchored: r.anchored, complete: r.complete });
    }
    const failures = [...this.failed.values()].sort((a, b) => a.badSeq - b.badSeq);
    if (failures.length > 0) {
      const head = { ...failures[0]!, events: this.s.events };
      return { ok: false, badSeq: head.badSeq, reason: head.reason, events: head.events, failures };
    }
    const cp = this.opts.checkpoint;
    // Evidence only if each chain the checkpoint signed is anchored at its head, and (in a file) every chain
    // here is one it signed. The live table may hold a chain begun after its latest checkpoint: newer, not yet signed.
    const signed = summaries.filter((x) => this.heads.has(x.chain));
    const covered = this.opts.live || signed.length === summaries.length;
    const anchored = cp !== null && covered && signed.every((x) => x.anchored);
    const complete = this.opts.live
      ? summaries.every((x) => x.complete)
      : anchored && summaries.every((x) => x.complete);
    return {
      ok: true,
      events: this.s.events,
      firstSeq: this.s.firstSeq,
      lastSeq: this.s.lastSeq,
      checkpoint: cp,
      anchored,
      complete,
      chains: summaries,
    };
  }
}
