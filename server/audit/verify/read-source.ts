/**
 * Reads an export from a file path or a stream into a caller-owned buffer, so the verifier can
 * reuse one large buffer for the whole file: few syscalls, no per-chunk allocation, and lines are
 * hashed where they lie. (readline would build a string per line; that alone costs more than the
 * 2 µs per event the verify target allows.)
 */
import { open } from 'node:fs/promises';

export type ExportInput = string | AsyncIterable<Uint8Array | string>;

export interface ByteSource {
  /** Reads up to into.length - at bytes into into[at…]; 0 at the end of the input. */
  read(into: Buffer, at: number): Promise<number>;
  /**
   * Zero-copy instead of read, when the source offers it: hands over its next whole chunk in a buffer of its
   * own, `keep` (the caller's partial line) copied just before it, and resolves to that view, or to null at the
   * end. Returns null at once when it cannot (a chunk partly read, keep longer than WINDOW_SLACK): use read.
   * The caller lets go of any view taken before (the source reads ahead into it again).
   */
  take?(keep: Buffer): Promise<Buffer | null> | null;
  close(): Promise<void>;
  /** Total bytes when known (a file), for progress. */
  size: number | null;
}

const PREFETCH = 4 * 1024 * 1024;

/**
 * Room a read window needs beyond the prefetch chunk it takes in: the partial line it keeps at its front.
 * A window of exactly the chunk's size took the chunk less that partial line, so the spare buffer was
 * never emptied and the next prefetch only started when the window came back for the last few bytes;
 * the thread then waited for a whole 4 MB read every chunk. With this room (lines are about 600 bytes)
 * each fill empties the spare and the next read runs while the window's bytes are checked.
 */
export const WINDOW_SLACK = 256 * 1024;

/**
 * A file, or the byte range [start, end) of it (a slice verified on another thread). Reads one
 * chunk ahead, so the disk (or page cache) copy runs on the thread pool while the caller hashes the
 * previous chunk; without it verify sat idle for about an eighth of its time. Given the caller's
 * `spare` buffer (a worker reuses one per slice), read copies out of it; otherwise the source reads
 * ahead into three buffers of its own in turn and `take` hands each chunk over where it lies, which
 * saves copying every byte once more (about a twentieth of a verify's CPU). Three: the one the caller
 * still reads, the one handed over, and the one being read ahead into.
 */
export async function openFile(
  path: string,
  range?: { start: number; end: number },
  spare?: Buffer,
): Promise<ByteSource> {
  const fh = await open(path, 'r');
  let end: number;
  try {
    end = range?.end ?? (await fh.stat()).size;
  } catch (err) {
    await fh.close();
    throw err;
  }
  const start = range?.start ?? 0;
  const ring = spare ? [spare] : [0, 1, 2].map(() => Buffer.allocUnsafe(WINDOW_SLACK + PREFETCH));
  const head = spare ? 0 : WINDOW_SLACK; // room before each chunk for the caller's partial line (take)
  let k = 0; // the ring buffer being read ahead into, then the chunk at hand
  let pos = start;
  let spareStart = 0;
  let spareEnd = 0;
  let pending: Promise<number> | null = null;
  const prefetch = (): Promise<number> | null => {
    const into = ring[k]!;
    const want = Math.min(into.length - head, end - pos);
    if (want <= 0) return null;
    const p = fh.read(into, head, want, pos).then(({ bytesRead }) => {
      pos += bytesRead;
      return bytesRead;
    });
    p.catch(() => {}); // awaited by read(), take() or close(); never left unhandled
    return p;
  };
  const next = async (): Promise<number> => {
    pending ??= prefetch();
    if (!pending) return 0;
    const n = await pending;
    pending = null;
    return n;
  };
  const source: ByteSource = {
    size: end - start,
    async read(into, at) {
      if (spareStart === spareEnd) {
        const n = await next();
        spareStart = head;
        spareEnd = head + n;
        if (n === 0) return 0;
      }
      const n = ring[k]!.copy(into, at, spareStart, Math.min(spareEnd, spareStart + into.length - at));
      spareStart += n;
      if (spareStart === spareEnd) {
        k = (k + 1) % ring.length;
        pending = prefetch(); // read the next chunk while this one is checked
      }
      return n;
    },
    async close() {
      await pending?.catch(() => {});
      await fh.close();
    },
  };
  if (!spare) {
    source.take = (keep) => {
      if (spareStart !== spareEnd || keep.length > head) return null;
      return next().then((n) => {
        if (n === 0) return null;
        const base = ring[k]!;
        keep.copy(base, head - keep.length);
        k = (k + 1) % ring.length;
        pending = prefetch(); // into the buffer taken the time before, which the caller has let go of
        return base.subarray(head - keep.length, head + n);
      });
    };
  }
  return source;
}

export async function openSource(input: ExportInput): Promise<ByteSource> {
  if (typeof input === 'string') return openFile(input);
  const it = input[Symbol.asyncIterator]();
  let pending: Buffer | null = null;
  return {
    size: null,
    async read(into, at) {
      while (pending === null || pending.length === 0) {
        const next = await it.next();
        if (next.done) return 0;
        const v = next.value;
        pending = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }
      const n = pending.copy(into, at, 0, Math.min(pending.length, into.length - at));
      pending = pending.subarray(n);
      return n;
    },
    async close() {
      await it.return?.();
    },
  };
}

export class LineTooLongError extends RangeError {
  override name = 'LineTooLongError';
}

/** A growable window over the input: bytes [0, filled) are read and not yet consumed. */
export class ReadWindow {
  buf: Buffer;
  filled = 0;
  eof = false;
  bytesRead = 0;

  /** buf is a view the source lent (ByteSource.take): not ours to grow or to read into. */
  private lent = false;

  constructor(
    private readonly source: ByteSource,
    private readonly size: number,
    private readonly maxSize: number,
    reuse?: Buffer,
  ) {
    this.buf = reuse ?? (source.take ? Buffer.alloc(0) : Buffer.allocUnsafe(size));
  }

  /** Reads once more; grows the buffer when it is full (a line longer than the buffer). */
  async fill(): Promise<void> {
    const taken = this.source.take?.(this.buf.subarray(0, this.filled));
    if (taken) {
      const view = await taken;
      if (view === null) {
        this.eof = true;
        return;
      }
      this.bytesRead += view.length - this.filled;
      this.buf = view;
      this.filled = view.length;
      this.lent = true;
      return;
    }
    if (this.lent || this.buf.length === 0) {
      // A long partial line: copy it into a buffer of our own and read into that, as without take.
      const own = Buffer.allocUnsafe(Math.min(this.maxSize, Math.max(this.size, this.buf.length)));
      this.buf.copy(own, 0, 0, this.filled);
      this.buf = own;
      this.lent = false;
    }
    if (this.filled === this.buf.length) {
      if (this.buf.length >= this.maxSize)
        throw new LineTooLongError(`a line is longer than ${this.maxSize / 1024 / 1024} MB`);
      const bigger = Buffer.allocUnsafe(Math.min(this.maxSize, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.filled);
      this.buf = bigger;
    }
    const n = await this.source.read(this.buf, this.filled);
    if (n === 0) this.eof = true;
    this.filled += n;
    this.bytesRead += n;
  }

  /** Drops the first `n` bytes, moving the unconsumed rest (a partial line) to the front. */
  consume(n: number): void {
    if (n === 0) return;
    this.buf.copy(this.buf, 0, n, this.filled);
    this.filled -= n;
  }
}
