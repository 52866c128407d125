import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from 'node:crypto';

/**
 * XChaCha20-Poly1305 with a fresh random 192-bit nonce per message (random nonces are safe at this
 * size). Layout: [format 0x01][nonce 24 bytes][ciphertext + 16-byte tag].
 */
const FORMAT = 0x01;
const NONCE = 24;
const encoder = new TextEncoder();

export class DecryptError extends Error {
  override name = 'DecryptError';
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const ct = xchacha20poly1305(key, nonce, encoder.encode(aad)).encrypt(plaintext);
  return Buffer.concat([Buffer.of(FORMAT), nonce, ct]);
}

/** Opens a sealed message; any change to it, its key or its associated data throws DecryptError. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Uint8Array {
  if (sealed.length < 1 + NONCE + 16 || sealed[0] !== FORMAT) throw new DecryptError('not a sealed message');
  try {
    return xchacha20poly1305(key, sealed.subarray(1, 1 + NONCE), encoder.encode(aad)).decrypt(sealed.subarray(1 + NONCE));
  } catch {
    throw new DecryptError('authentication failed: wrong key, wrong binding or tampered ciphertext');
  }
}
