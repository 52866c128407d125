import { describe, expect, it } from 'vitest';
import { createPageBuffers, PAGE_BUFFER_BYTES } from './page-buffers.ts';

describe('the buffers records pages are written into', () => {
  it('when a page gives its buffer back, then the next page reuses it, and a lease gives it back only once', () => {
    const buffers = createPageBuffers(2);
    const first = buffers.take();
    expect(first.bytes.length).toBe(PAGE_BUFFER_BYTES);
    first.release(0);
    const second = buffers.take();
    expect(second.bytes).toBe(first.bytes);
    // The first page's lease again (a stray second call): the buffer stays the second page's alone.
    first.release(0);
    expect(buffers.idle()).toBe(0);
    expect(buffers.take().bytes).not.toBe(second.bytes);
  });

  it('when a page gives its buffer back, then what it wrote there is wiped', () => {
    const buffers = createPageBuffers(2);
    const lease = buffers.take();
    lease.bytes.write('{"records":[{"content":"a secret"}]}', 0);
    lease.bytes.write('beyond', 100);
    lease.release(40);
    const again = buffers.take();
    expect(again.bytes).toBe(lease.bytes);
    expect(again.bytes.subarray(0, 40).every((b) => b === 0)).toBe(true);
    expect(again.bytes.toString('utf8', 100, 106)).toBe('beyond');
  });

  it('when more pages give buffers back than may wait, then the rest are left to the garbage collector', () => {
    const buffers = createPageBuffers(2);
    const leases = [buffers.take(), buffers.take(), buffers.take()];
    expect(new Set(leases.map((l) => l.bytes)).size).toBe(3);
    for (const l of leases) l.release(0);
    expect(buffers.idle()).toBe(2);
  });
});
