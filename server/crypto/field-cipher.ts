import { open, seal } from './aead.ts';

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
  return seal(dek, Buffer.from(JSON.stringify(value), 'utf8'), aadOf(binding));
}

export function openField(dek: Uint8Array, binding: FieldBinding, sealed: Uint8Array): unknown {
  return JSON.parse(openFieldText(dek, binding, sealed));
}

/** The sealed value's JSON text as it was sealed, for a caller that passes parts of it on unparsed. */
export function openFieldText(dek: Uint8Array, binding: FieldBinding, sealed: Uint8Array): string {
  const plain = open(dek, sealed, aadOf(binding));
  // A view, not a copy: no second plaintext buffer is left behind.
  return Buffer.from(plain.buffer, plain.byteOffset, plain.length).toString('utf8');
}
