import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError, open, seal } from './aead.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const AUTH_FAILED = 'authentication failed: wrong key, wrong binding or tampered ciphertext';

/** The error `f` throws; fails the test if it returns instead. */
function failure(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a DecryptError, but the message opened');
}

/** What noble itself decrypts from one of our sealed messages. */
const nobleOpen = (key: Uint8Array, sealed: Buffer, aad: string) =>
  xchacha20poly1305(key, sealed.subarray(1, 25), new TextEncoder().encode(aad)).decrypt(sealed.subarray(25));

describe('draft-irtf-cfrg-xchacha-03 Appendix A.3.1 (AEAD_XChaCha20_Poly1305)', () => {
  const key = Buffer.from('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', 'hex');
  const nonce = Buffer.from('404142434445464748494a4b4c4d4e4f5051525354555657', 'hex');
  const aad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex'); // not UTF-8, hence open's byte AAD
  const plaintext = Buffer.from(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const ctAndTag =
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb' +
    '731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
    '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9' +
    '21f9664c97637da9768812f615c68b13b52e' +
    'c0875924c1c7987947deafd8780acf49';

  it('when the published ciphertext and tag are opened, then the published plaintext comes back', () => {
    const sealed = Buffer.concat([Buffer.of(0x01), nonce, Buffer.from(ctAndTag, 'hex')]);
    expect(hex(open(key, sealed, aad))).toBe(hex(plaintext));
  });

  it('when noble (which seal uses) encrypts the published plaintext, then it gives the published bytes', () => {
    expect(hex(xchacha20poly1305(key, nonce, aad).encrypt(plaintext))).toBe(ctAndTag);
  });
});

describe('open cross-checked against noble', () => {
  const lengths = [...Array.from({ length: 301 }, (_, n) => n), 16384, 16384 + 1, 16384 + 63];

  it('when noble seals any length with random keys, nonces and AAD, then open gives the plaintext noble decrypts', () => {
    for (const n of lengths) {
      const key = randomBytes(32);
      const plaintext = randomBytes(n);
      const aad = `field|${randomBytes(randomInt(0, 40)).toString('base64')}|ü✓\ud800|${n}`;
      const sealed = seal(key, plaintext, aad);
      const opened = open(key, sealed, aad);
      expect(hex(opened), `length ${n}`).toBe(hex(plaintext));
      expect(hex(opened), `length ${n}`).toBe(hex(nobleOpen(key, sealed, aad)));
    }
  });

  it('when the key and the message sit at odd offsets in their buffers, then open still works', () => {
    const key = Buffer.alloc(33);
    randomBytes(32).copy(key, 1);
    const sealed = seal(key.subarray(1), Buffer.from('Ada'), 'a');
    const shifted = Buffer.alloc(sealed.length + 3);
    sealed.copy(shifted, 3);
    expect(Buffer.from(open(key.subarray(1), shifted.subarray(3), 'a')).toString()).toBe('Ada');
  });

  it('when a message is opened, then a plain Uint8Array comes back, as from noble', () => {
    const key = randomBytes(32);
    expect(Object.getPrototypeOf(open(key, seal(key, Buffer.from('x'), 'a'), 'a'))).toBe(Uint8Array.prototype);
  });
});

describe('open refuses anything but the sealed message, its key and its AAD', () => {
  const key = randomBytes(32);
  const aad = 'field|c-1|given_name|1';
  const sealed = seal(key, Buffer.from('Ada Lovelace'), aad);

  it('when any single byte is flipped (format, nonce, ciphertext or tag), then it throws DecryptError', () => {
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const t = Buffer.from(sealed);
        t[i]! ^= bit;
        const e = failure(() => open(key, t, aad));
        expect(e, `byte ${i}`).toBeInstanceOf(DecryptError);
        expect(e.message, `byte ${i}`).toBe(i === 0 ? 'not a sealed message' : AUTH_FAILED);
      }
    }
  });

  it.each([
    ['another key', () => open(randomBytes(32), sealed, aad)],
    ['a key one bit off', () => open(Buffer.from(key).fill(key[0]! ^ 1, 0, 1), sealed, aad)],
    ['another AAD', () => open(key, sealed, 'field|c-2|given_name|1')],
    ['an empty AAD', () => open(key, sealed, '')],
    ['a byte appended', () => open(key, Buffer.concat([sealed, Buffer.of(0)]), aad)],
    ['a 31-byte key', () => open(key.subarray(0, 31), sealed, aad)],
    ['a 33-byte key', () => open(Buffer.concat([key, Buffer.of(0)]), sealed, aad)],
    ['a 16-byte key', () => open(key.subarray(0, 16), sealed, aad)],
    ['the key followed by 4 more bytes', () => open(Buffer.concat([key, Buffer.alloc(4)]), sealed, aad)],
  ])('when opened with %s, then it throws DecryptError', (_name, f) => {
    const e = failure(f);
    expect(e).toBeInstanceOf(DecryptError);
    expect(e.message).toBe(AUTH_FAILED);
  });

  it('when the message is truncated to any shorter length, then it throws DecryptError', () => {
    for (let n = 0; n < sealed.length; n++) {
      const e = failure(() => open(key, sealed.subarray(0, n), aad));
      expect(e, `length ${n}`).toBeInstanceOf(DecryptError);
      expect(e.message, `length ${n}`).toBe(n < 1 + 24 + 16 ? 'not a sealed message' : AUTH_FAILED);
    }
  });
});
