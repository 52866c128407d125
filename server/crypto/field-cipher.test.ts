import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError } from './aead.ts';
import { openField, sealField } from './field-cipher.ts';

const dek = randomBytes(32);
const binding = { customerId: 'c-1', field: 'given_name', version: 1 };

describe('field encryption', () => {
  it('when sealed and opened with the same key and binding, then the value comes back', () => {
    const sealed = sealField(dek, binding, { a: 'Ada', n: [1, 2] });
    expect(openField(dek, binding, sealed)).toEqual({ a: 'Ada', n: [1, 2] });
  });

  it('when the same value is sealed twice, then the ciphertexts differ (fresh nonce)', () => {
    expect(sealField(dek, binding, 'x').equals(sealField(dek, binding, 'x'))).toBe(false);
  });

  it.each([
    ['another customer', { ...binding, customerId: 'c-2' }],
    ['another field', { ...binding, field: 'family_name' }],
    ['another version', { ...binding, version: 2 }],
  ])('when the ciphertext is opened as %s, then it fails', (_name, other) => {
    const sealed = sealField(dek, binding, 'Ada');
    expect(() => openField(dek, other, sealed)).toThrow(DecryptError);
  });

  it('when any single byte is flipped, then opening fails with an error, never garbage', () => {
    const sealed = sealField(dek, binding, 'Ada Lovelace');
    for (let i = 0; i < sealed.length; i++) {
      const t = Buffer.from(sealed);
      t[i]! ^= 0x01;
      expect(() => openField(dek, binding, t), `byte ${i}`).toThrow(DecryptError);
    }
  });

  it('when opened with another key, then it fails', () => {
    expect(() => openField(randomBytes(32), binding, sealField(dek, binding, 'Ada'))).toThrow(DecryptError);
  });
});
