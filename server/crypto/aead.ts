import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { createDecipheriv, randomBytes } from 'node:crypto';

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

// noble's hchacha reads and writes words as native views of the bytes (it swaps them itself on
// big-endian hosts), so the bytes are copied into these aligned words rather than viewed in place.
// open() is synchronous, so one call at a time uses them; they are zeroed after each. Allocating
// them per call cost more than HChaCha20 itself.
const SIGMA = new Uint32Array(new Uint8Array(encoder.encode('expand 32-byte k')).buffer); // RFC 8439 §2.3
const scratch = new Uint32Array(23); // key | nonce[0..16] | subkey | 12-byte IETF nonce
const keyWords = scratch.subarray(0, 8);
const nonceWords = scratch.subarray(8, 12);
const subkeyWords = scratch.subarray(12, 20);
const scratchBytes = Buffer.from(scratch.buffer);
const subkey = scratchBytes.subarray(48, 80);
const ietfNonce = scratchBytes.subarray(80, 92); // its first 4 bytes stay zero

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const ct = xchacha20poly1305(key, nonce, encoder.encode(aad)).encrypt(plaintext);
  return Buffer.concat([Buffer.of(FORMAT), nonce, ct]);
}

/**
 * Opens a sealed message; any change to it, its key or its associated data throws DecryptError.
 * Same construction as noble's xchacha20poly1305 (draft-irtf-cfrg-xchacha-03 §2.3), with the
 * ChaCha20-Poly1305 half done by OpenSSL, about 3x faster: subkey = HChaCha20(key, nonce[0..16]),
 * then RFC 8439 AEAD under the subkey with the 12-byte nonce 0x00000000 || nonce[16..24].
 * `aad` may be bytes only so that the draft's test vector, whose AAD is not UTF-8, can be checked.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string | Uint8Array): Uint8Array {
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) throw new DecryptError('not a sealed message');
  const nonce = sealed.subarray(1, 1 + NONCE);
  const ct = sealed.subarray(1 + NONCE, sealed.length - TAG);
  let pt: Buffer | undefined;
  try {
    if (key.length !== 32) throw new Error('key must be 32 bytes');
    scratchBytes.set(key, 0);
    scratchBytes.set(nonce.subarray(0, 16), 32);
    hchacha(SIGMA, keyWords, nonceWords, subkeyWords);
    ietfNonce.set(nonce.subarray(16), 4);
    const d = createDecipheriv('chacha20-poly1305', subkey, ietfNonce, { authTagLength: TAG });
    // Buffer.from encodes a string as TextEncoder does (seal's), lone surrogates included, and faster.
    d.setAAD(typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad, { plaintextLength: ct.length });
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    pt = d.update(ct);
    d.final(); // checks the tag: until it passes, the plaintext above is not released
    return new Uint8Array(pt.buffer, pt.byteOffset, pt.length);
  } catch {
    pt?.fill(0);
    throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
  } finally {
    scratch.fill(0); // the key copy and the subkey
  }
}
