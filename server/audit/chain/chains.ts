/**
 * Several chains (ARCHITECTURE.md, "The audit trail"): each vault server appends to its own chain, so no
 * server waits on another's chain head; a checkpoint signs the heads of all of them together. SQLite has one
 * writer and keeps one chain, the default. An event names its chain inside the hashed text (`chain`), except
 * on the default chain, where the key is absent so that every event written before stays byte for byte.
 */
export const DEFAULT_CHAIN = 'main';

/** A chain id is made by the server (its instance id), never typed by a caller: a short closed shape. */
const CHAIN_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function isChainId(value: unknown): value is string {
  return typeof value === 'string' && CHAIN_ID.test(value);
}

/** The head of one chain: its newest event's (global) seq and hash. */
export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}

const CHAIN_KEY = Buffer.from('"chain":');

/**
 * The chain an event's canonical text names: the default chain when the text holds no `"chain":` at all
 * (the fast path: one byte search), else the top-level `chain` from a parse. null when the event names the
 * default chain explicitly or a chain of another shape: the writer never does either.
 */
export function chainOfEvent(buf: Buffer, start: number, end: number): string | null {
  const at = buf.indexOf(CHAIN_KEY, start);
  if (at < 0 || at >= end) return DEFAULT_CHAIN;
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8', start, end));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || !('chain' in v)) return DEFAULT_CHAIN;
  return isChainId(v.chain) && v.chain !== DEFAULT_CHAIN ? v.chain : null;
}
