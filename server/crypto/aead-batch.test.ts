import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import sodium from 'libsodium-wrappers';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError, openAll, openEach, seal } from './aead.ts';

const nobleOpen = (key: Uint8Array, sealed: Buffer, aad: string) =>
  Buffer.from(
    xchacha20poly1305(key, sealed.subarray(1, 25), new TextEncoder().encode(aad)).decrypt(sealed.subarray(25)),
  );

const batch = (key: Uint8Array, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const plaintext = randomBytes(randomInt(0, 2000));
    const aad = `field|${randomBytes(randomInt(0, 40)).toString('base64')}|record:${i}|ü✓\ud800|1`;
    return { plaintext, aad, sealed: seal(key, plaintext, aad) };
  });

describe('openAll: a page of messages under one key, opened in one pass', () => {
  it('when noble seals messages of any length with their own AAD, then each opens to what noble decrypts', () => {
    for (const n of [0, 1, 2, 50, 100]) {
      const key = randomBytes(32);
      const items = batch(key, n);
      const opened = openAll(key, items);
      expect(opened).toHaveLength(n);
      items.forEach(({ plaintext, aad, sealed }, i) => {
        expect(opened[i]!.equals(plaintext), `message ${i} of ${n}`).toBe(true);
        expect(opened[i]!.equals(nobleOpen(key, sealed, aad)), `message ${i} of ${n}`).toBe(true);
      });
    }
  });

  it('when one message of the batch is tampered with or bound to other AAD, then the whole batch throws', () => {
    const key = randomBytes(32);
    const items = batch(key, 20);
    const flipped = items.map((it, i) => (i === 13 ? { ...it, sealed: Buffer.from(it.sealed).fill(7, 30, 31) } : it));
    expect(() => openAll(key, flipped)).toThrow(DecryptError);
    const moved = items.map((it, i) => (i === 7 ? { ...it, aad: items[8]!.aad } : it));
    expect(() => openAll(key, moved)).toThrow(DecryptError);
    expect(() => openAll(randomBytes(32), items)).toThrow(DecryptError);
    expect(() => openAll(key.subarray(0, 31), items)).toThrow(DecryptError);
    expect(() => openAll(key, [{ sealed: items[0]!.sealed.subarray(0, 40), aad: items[0]!.aad }])).toThrow(
      'not a sealed message',
    );
    // A failed batch leaves nothing broken behind: the next one opens.
    expect(openAll(key, items).map((b) => b.toString('hex'))).toEqual(items.map((i) => i.plaintext.toString('hex')));
  });

  it('when a batch has been opened (or has failed), then neither the key nor any plaintext is left on the heap', () => {
    const key = Buffer.from('k'.repeat(32));
    const marker = Buffer.from('PLAINTEXT-MARKER-'.repeat(8));
    const items = Array.from({ length: 30 }, (_, i) => ({ sealed: seal(key, marker, `a|${i}`), aad: `a|${i}` }));
    openAll(key, items);
    expect(() => openAll(key, [...items, { ...items[0]!, aad: 'other' }])).toThrow(DecryptError);
    const heap = Buffer.from((sodium as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8.buffer);
    expect(heap.indexOf(marker.subarray(0, 17))).toBe(-1);
    expect(heap.indexOf(key)).toBe(-1);
  });

  it('when the messages lie one after another in one buffer (a records page), then each opens as when apart', () => {
    const key = randomBytes(32);
    const items = batch(key, 30);
    const blob = Buffer.concat(items.map((i) => i.sealed));
    let at = 0;
    const views = items.map((i) => ({ aad: i.aad, sealed: blob.subarray(at, (at += i.sealed.length)) }));
    const seen: string[] = [];
    openEach(key, views, (i, heap, start, end) => seen.push(`${i}:${heap.toString('hex', start, end)}`));
    expect(seen).toEqual(items.map((it, i) => `${i}:${it.plaintext.toString('hex')}`));
    // A tampered message in the middle of the buffer: nothing is visited.
    blob[items[0]!.sealed.length + items[1]!.sealed.length + 30]! ^= 1;
    const visited: number[] = [];
    expect(() => openEach(key, views, (i) => visited.push(i))).toThrow(DecryptError);
    expect(visited).toEqual([]);
  });
});
