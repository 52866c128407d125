import { open, openEach, seal, type VisitPlaintext } from './aead.ts';

/**
 * Profile fields and deposited records are sealed under the customer's data key with associated
 * data `customer id | field name | version` (ARCHITECTURE.md, "The encrypted profile"), so a ciphertext copied to another
 * customer's row, another field, or replayed at an older version fails to open.
 */
export interface FieldBinding {
  customerId: string;
  field: string;
  version: number;
}

const aadOf = (b: FieldBinding) => `field|${b.customerId}|${b.field}|${b.version}`;

export function sealField(dek: Uint8Array, binding: FieldBinding, value: unknown): Buffer {
  return sealText(dek, binding, JSON.stringify(value));
}

/** Seals JSON text the caller wrote itself; openField parses it like any other sealed value. */
export function sealText(dek: Uint8Array, binding: FieldBinding, json: string): Buffer {
  return seal(dek, Buffer.from(json, 'utf8'), aadOf(binding));
}

export function openField(dek: Uint8Array, binding: FieldBinding, sealed: Uint8Array): unknown {
  return JSON.parse(openFieldText(dek, binding, sealed));
}

/** The sealed value's JSON text as it was sealed, for a caller that passes parts of it on unparsed. */
export function openFieldText(dek: Uint8Array, binding: FieldBinding, sealed: Uint8Array): string {
  return openFieldBytes(dek, binding, sealed).toString('utf8');
}

/** The sealed value's UTF-8 JSON bytes, for a caller that copies parts of them into a response unchanged. */
export function openFieldBytes(dek: Uint8Array, binding: FieldBinding, sealed: Uint8Array): Buffer {
  const plain = open(dek, sealed, aadOf(binding));
  // A view, not a copy: no second plaintext buffer is left behind.
  return Buffer.from(plain.buffer, plain.byteOffset, plain.length);
}

/** Several sealed values under one data key, opened in one pass: each one's UTF-8 JSON bytes handed to `visit` in
 * place (aead.ts openEach, whose rules apply). */
export function openFieldsEach(
  dek: Uint8Array,
  items: readonly { binding: FieldBinding; sealed: Uint8Array }[],
  visit: VisitPlaintext,
) {
  openEach(
    dek,
    items.map(({ binding, sealed }) => ({ sealed, aad: aadOf(binding) })),
    visit,
  );
}
