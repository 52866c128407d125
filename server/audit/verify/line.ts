/**
 * Byte-level reading of one export line, the verifier's hot path. The layout is fixed by
 * export/format.ts: {"seq":N,"prev":"<64 hex>","hash":"<64 hex>","event":<canonical>}
 * so seq, prev and hash sit at known offsets and the event's bytes are hashed where they lie in
 * the read buffer. No JSON.parse and no string is built per line: at 500k lines/s the budget is
 * about 2 µs each, and SHA-256 alone takes about 1 µs of it. Anything that does not fit the layout
 * is reported as malformed by the caller, which may then afford a full parse for the message.
 */

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const SEQ_OPEN = enc('{"seq":');
const PREV_OPEN = enc(',"prev":"');
const HASH_OPEN = enc('","hash":"');
const EVENT_OPEN = enc('","event":');
const TIME_KEY = enc(',"time":"');
const SEQ_KEY = enc('"seq":');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

/** Hex digit value by byte; -1 for anything that is not 0-9 or a-f (the chain writes lowercase). */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;

function matchAt(buf: Uint8Array, pos: number, lit: Uint8Array): boolean {
  if (pos < 0 || pos + lit.length > buf.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[pos + i] !== lit[i]) return false;
  return true;
}

/** Decodes 64 hex digits at `pos` into out[outPos..outPos+32); false if any digit is not lowercase hex. */
export function decodeHash(buf: Uint8Array, pos: number, out: Uint8Array, outPos: number): boolean {
  for (let i = 0; i < 32; i++) {
    const hi = HEX[buf[pos + 2 * i]!]!;
    const lo = HEX[buf[pos + 2 * i + 1]!]!;
    if ((hi | lo) < 0) return false;
    out[outPos + i] = (hi << 4) | lo;
  }
  return true;
}

/** True when the 32 bytes at `pos` of `buf` are `digest`, a 32-character latin1 string (one byte each). */
export function sameDigest(buf: Uint8Array, pos: number, digest: string): boolean {
  if (digest.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (buf[pos + i] !== digest.charCodeAt(i)) return false;
  return true;
}

/** Reads decimal digits at [pos, end); -1 if empty, non-digit, leading zero, or unsafe. */
function readUint(buf: Uint8Array, pos: number, end: number): number {
  if (end <= pos || end - pos > 15 || (buf[pos] === 0x30 && end - pos > 1)) return -1;
  let n = 0;
  for (let i = pos; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Where one parsed line's parts lie in the buffer; reused across lines to avoid allocation. */
export interface LineParts {
  seq: number;
  prevPos: number;
  hashPos: number;
  eventStart: number;
  eventEnd: number;
}

/** Parses the line [start, end) (no line break) into `out`; false if it does not fit the layout. */
export function parseLine(buf: Uint8Array, start: number, end: number, out: LineParts): boolean {
  if (!matchAt(buf, start, SEQ_OPEN)) return false;
  let p = start + SEQ_OPEN.length;
  let q = p;
  while (q < end && q - p < 16 && buf[q] !== COMMA) q++;
  const seq = readUint(buf, p, q);
  if (seq < 0 || !matchAt(buf, q, PREV_OPEN)) return false;
  p = q + PREV_OPEN.length;
  const prevPos = p;
  if (!matchAt(buf, p + 64, HASH_OPEN)) return false;
  p += 64 + HASH_OPEN.length;
  const hashPos = p;
  if (!matchAt(buf, p + 64, EVENT_OPEN)) return false;
  p += 64 + EVENT_OPEN.length;
  // The event is an object and the line's own closing brace follows it.
  if (end - p < 3 || buf[p] !== OPEN_BRACE || buf[end - 1] !== CLOSE_BRACE || buf[end - 2] !== CLOSE_BRACE) {
    return false;
  }
  out.seq = seq;
  out.prevPos = prevPos;
  out.hashPos = hashPos;
  out.eventStart = p;
  out.eventEnd = end - 1;
  return true;
}

/**
 * The event's own top-level seq, read from the tail of its canonical text. In JCS key order an
 * event ends with …,"seq":N,"time":"<iso>"} ("time" sorts last). The checks on the characters
 * before each quote make sure these are top-level keys and not text inside a string (inside a JSON
 * string every quote is escaped). Returns -1 when the tail has another shape; the caller then
 * parses the event text instead, which is slower but never wrong.
 */
export function eventSeqFromTail(buf: Uint8Array, start: number, end: number): number {
  let p = end - 1;
  if (buf[p] !== CLOSE_BRACE || buf[p - 1] !== QUOTE) return -1;
  p -= 2;
  const limit = Math.max(start, p - 64);
  while (p > limit && buf[p] !== QUOTE) {
    if (buf[p] === BACKSLASH) return -1;
    p--;
  }
  // p is the time value's opening quote; before it must come ,"time":
  const timeKey = p + 1 - TIME_KEY.length;
  if (!matchAt(buf, timeKey, TIME_KEY)) return -1;
  let d = timeKey;
  while (d > start && buf[d - 1]! >= 0x30 && buf[d - 1]! <= 0x39) d--;
  const seq = readUint(buf, d, timeKey);
  const keyPos = d - SEQ_KEY.length;
  if (seq < 0 || keyPos <= start || !matchAt(buf, keyPos, SEQ_KEY)) return -1;
  const before = buf[keyPos - 1];
  return before === COMMA || before === OPEN_BRACE ? seq : -1;
}
