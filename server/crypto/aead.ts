import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import sodium from 'libsodium-wrappers';
import { randomBytes } from 'node:crypto';

/**
 * XChaCha20-Poly1305 with a fresh random 192-bit nonce per message (random nonces are safe at this
 * size). Layout: [format 0x01][nonce 24 bytes][ciphertext + 16-byte tag].
 */
const FORMAT = 0x01;
const NONCE = 24;
const TAG = 16;
const encoder = new TextEncoder();

export class DecryptError extends Error {
  override name = 'DecryptError';
}

// libsodium's WebAssembly is compiled once, before the first message can be opened.
await sodium.ready;

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const ct = xchacha20poly1305(key, nonce, encoder.encode(aad)).encrypt(plaintext);
  return Buffer.concat([Buffer.of(FORMAT), nonce, ct]);
}

/** The raw libsodium module under the wrappers: its exports, heap and allocator. */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(...args: number[]): number;
}
const raw = (sodium as unknown as { libsodium: RawSodium }).libsodium;

// One scratch area on libsodium's heap, reused by every open (JavaScript runs one open at a time): the wrapper
// function would allocate, copy and free five buffers per call and zero-fill a fresh output array, which cost
// about as much as the decryption itself on the records read (ARCHITECTURE.md, "Speed").
let scratch = 0;
let scratchSize = 0;

function scratchFor(size: number): number {
  if (size > scratchSize) {
    if (scratch) raw._free(scratch);
    scratchSize = Math.max(size, 16 * 1024);
    scratch = raw._malloc(scratchSize);
    if (!scratch) throw new Error('libsodium could not allocate its scratch area');
  }
  return scratch;
}

/**
 * Opens a sealed message; any change to it, its key or its associated data throws DecryptError.
 * Sealing uses noble, opening libsodium's crypto_aead_xchacha20poly1305_ietf_decrypt: the same
 * standard construction (draft-irtf-cfrg-xchacha-03), cross-checked in aead.test.ts, and about ten
 * times faster on the company read path, which opens every field it returns (ARCHITECTURE.md, "Speed").
 * `aad` may be bytes only so that the draft's test vector, whose AAD is not UTF-8, can be checked.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string | Uint8Array): Uint8Array {
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) throw new DecryptError('not a sealed message');
  if (key.length !== 32)
    throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
  // Buffer.from encodes a string as TextEncoder does (seal's), lone surrogates included.
  const ad = typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad;
  const c = sealed.length - 1 - NONCE;
  const base = scratchFor(32 + NONCE + ad.length + 2 * c);
  // Layout: key, then nonce and ciphertext as sealed (one copy), then the associated data, then the plaintext.
  const k = base;
  const n = k + 32;
  const ct = n + NONCE;
  const a = ct + c;
  const m = a + ad.length;
  const heap = raw.HEAPU8;
  heap.set(key, k);
  heap.set(sealed.subarray(1), n);
  heap.set(ad, a);
  try {
    if (raw._crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, ct, c, 0, a, ad.length, 0, n, k) !== 0)
      throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
    return heap.slice(m, m + c - TAG);
  } finally {
    // Neither the key nor the plaintext stays behind on libsodium's heap.
    heap.fill(0, base, m + c);
  }
}

/** A view of libsodium's whole heap as a Buffer, to write associated data into it without a copy in between. */
let heapView: Buffer | undefined;
function heapBuffer(heap: Uint8Array): Buffer {
  if (heapView?.buffer !== heap.buffer) heapView = Buffer.from(heap.buffer, heap.byteOffset, heap.length);
  return heapView;
}

/** What openEach hands over per message: its index, and its plaintext as bytes start..end of `heap`. */
export type VisitPlaintext = (i: number, heap: Buffer, start: number, end: number) => void;

/**
 * Opens several messages sealed under one key in one pass and hands each plaintext to `visit` while it is still on
 * libsodium's heap, so that a caller that copies the plaintexts on (the records read writes them into its page)
 * needs no buffer of its own for them: a 50 KB buffer per read cost a fresh allocation and its page faults
 * (ARCHITECTURE.md, "Speed"). `visit` runs only once every message has opened, in their order; it must copy what
 * it keeps and must not open anything itself (the area is shared, and zeroed as soon as openEach returns). Any
 * message that fails to open throws DecryptError before any visit.
 *
 * The messages are copied onto the scratch area as they are (in one piece when they lie one after another in one
 * buffer, as the records store returns a page), their associated data after them, the plaintexts after that.
 */
export function openEach(
  key: Uint8Array,
  items: readonly { sealed: Uint8Array; aad: string }[],
  visit: VisitPlaintext,
) {
  if (key.length !== 32)
    throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
  let sealedBytes = 0;
  let aads = 0;
  let outputs = 0;
  let contiguous = items.length > 0;
  const first = items[0]?.sealed;
  for (const { sealed, aad } of items) {
    if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) throw new DecryptError('not a sealed message');
    contiguous &&= sealed.buffer === first!.buffer && sealed.byteOffset === first!.byteOffset + sealedBytes;
    sealedBytes += sealed.length;
    // At most 3 UTF-8 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units).
    aads += 3 * aad.length;
    outputs += sealed.length - 1 - NONCE - TAG;
  }
  const base = scratchFor(32 + sealedBytes + aads + outputs);
  const heap = raw.HEAPU8;
  const view = heapBuffer(heap);
  const k = base;
  const s0 = k + 32;
  const m0 = s0 + sealedBytes + aads;
  let m = m0;
  heap.set(key, k);
  try {
    if (contiguous) heap.set(new Uint8Array(first!.buffer, first!.byteOffset, sealedBytes), s0);
    let at = s0;
    let a = s0 + sealedBytes;
    const ends: number[] = [];
    for (const { sealed, aad } of items) {
      if (!contiguous) heap.set(sealed, at);
      const n = at + 1;
      const c = sealed.length - 1 - NONCE;
      const adLength = view.write(aad, a, 'utf8');
      if (raw._crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, n + NONCE, c, 0, a, adLength, 0, n, k) !== 0)
        throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
      at += sealed.length;
      a += adLength;
      m += c - TAG;
      ends.push(m);
    }
    let from = m0;
    for (let i = 0; i < ends.length; i++) visit(i, view, from, (from = ends[i]!));
  } finally {
    // Neither the key nor any plaintext stays behind on libsodium's heap (the rest was sealed or is public).
    heap.fill(0, k, k + 32);
    heap.fill(0, m0, m);
  }
}

/**
 * openEach with each plaintext copied out: views of one Buffer. Per message this leaves only the decryption
 * itself; open() per message cost a third of a records read in copies, allocations and zeroing (ARCHITECTURE.md,
 * "Speed"). Any message that fails to open throws DecryptError and nothing is returned.
 */
export function openAll(key: Uint8Array, items: readonly { sealed: Uint8Array; aad: string }[]): Buffer[] {
  const spans: number[] = [];
  let plain = Buffer.alloc(0);
  let m0 = 0;
  openEach(key, items, (i, heap, start, end) => {
    if (i === 0) m0 = start;
    spans.push(end - m0);
    if (i === items.length - 1) plain = Buffer.from(heap.subarray(m0, end));
  });
  let from = 0;
  return spans.map((end) => plain.subarray(from, (from = end)));
}
