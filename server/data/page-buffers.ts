/**
 * The memory a records page is written into, reused once the page has been written out (ARCHITECTURE.md, "Speed";
 * SECURITY.md "Floods and bounds"). A page of 50 records is about 55 KB: a new buffer per read was about a tenth of
 * the read's CPU, in allocation and in the collections it brought on, and lengthened its p99 (README "Benchmarks").
 *
 * A page takes a buffer with `take()` and gives it back with the lease's `release()`, which the route calls once
 * the answer has been handed to the operating system (`res.end`'s callback), never sooner: until then the socket
 * may still be reading it. A lease releases once, whatever calls it again, so a buffer is never in two pages. A
 * page that is never sent (a refusal, a failed unit, a closed socket) never releases its buffer: the garbage
 * collector frees it. A buffer given back is wiped where the page was written before it waits, idle, for the next. At most PAGE_BUFFERS_KEPT buffers wait, idle, for the next page; a page larger than
 * PAGE_BUFFER_BYTES takes memory of its own.
 */
export const PAGE_BUFFER_BYTES = 128 * 1024;
export const PAGE_BUFFERS_KEPT = 64;

export interface PageBufferLease {
  bytes: Buffer;
  /**
   * Gives the buffer back for another page, once the page's bytes are written out, its first `written` bytes wiped
   * (they held a page's decrypted records). Only the first call counts.
   */
  release(written: number): void;
}

export function createPageBuffers(kept = PAGE_BUFFERS_KEPT) {
  const idle: Buffer[] = [];
  return {
    take(): PageBufferLease {
      // Not from Buffer's shared pool, and never handed out twice: a buffer is idle or in exactly one lease.
      const bytes = idle.pop() ?? Buffer.allocUnsafeSlow(PAGE_BUFFER_BYTES);
      let out = true;
      return {
        bytes,
        release(written) {
          if (!out) return;
          out = false;
          if (idle.length >= kept) return;
          bytes.fill(0, 0, written);
          idle.push(bytes);
        },
      };
    },
    /** Buffers waiting for a page: for tests and the bound. */
    idle: () => idle.length,
  };
}

export type PageBuffers = ReturnType<typeof createPageBuffers>;
