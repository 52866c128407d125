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

/**
 * Opens several messages sealed under one key in one pass: each message and its associated data are copied onto
 * the scratch area, the plaintexts decrypted side by side, then copied out in one piece and the area zeroed once.
 * Per message this leaves only the decryption itself; open() per message cost a third of a records read in
 * copies, allocations and zeroing (ARCHITECTURE.md, "Speed"). Any message that fails to open throws DecryptError
 * and nothing is returned. The plaintexts are views of one Buffer.
 */
export function openAll(key: Uint8Array, items: readonly { sealed: Uint8Array; aad: string }[]): Buffer[] {
  if (key.length !== 32)
    throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
  let inputs = 0;
  let outputs = 0;
  for (const { sealed, aad } of items) {
    if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) throw new DecryptError('not a sealed message');
    // At most 3 UTF-8 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units).
    inputs += sealed.length - 1 + 3 * aad.length;
    outputs += sealed.length - 1 - NONCE - TAG;
  }
  const base = scratchFor(32 + inputs + outputs);
  const heap = raw.HEAPU8;
  const view = heapBuffer(heap);
  const k = base;
  const m0 = base + 32 + inputs;
  let at = base + 32;
  let m = m0;
  const ends: number[] = [];
  heap.set(key, k);
  try {
    for (const { sealed, aad } of items) {
      // Layout per message: nonce and ciphertext as sealed (one copy), then its associated data.
      const n = at;
      const c = sealed.length - 1 - NONCE;
      heap.set(sealed.subarray(1), n);
      const a = n + NONCE + c;
      const adLength = view.write(aad, a, 'utf8');
      if (raw._crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, n + NONCE, c, 0, a, adLength, 0, n, k) !== 0)
        throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
      at = a + adLength;
      m += c - TAG;
      ends.push(m - m0);
    }
    const plain = Buffer.from(view.subarray(m0, m));
    let from = 0;
    return ends.map((end) => plain.subarray(from, (from = end)));
  } finally {
    // Neither the key nor any plaintext stays behind on libsodium's heap (the rest was sealed or is public).
    heap.fill(0, k, k + 32);
    heap.fill(0, m0, m);
  }
}
