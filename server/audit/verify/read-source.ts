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
 * chunk ahead into a spare buffer, so the disk (or page cache) copy runs on the thread pool while
 * the caller hashes the previous chunk; without it verify sat idle for about an eighth of its time.
 */
export async function openFile(
  path: string,
  range?: { start: number; end: number },
  spare: Buffer = Buffer.allocUnsafe(PREFETCH),
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
  let pos = start;
  let spareStart = 0;
  let spareEnd = 0;
  let pending: Promise<number> | null = null;
  const prefetch = (): Promise<number> | null => {
    const want = Math.min(spare.length, end - pos);
    if (want <= 0) return null;
    const p = fh.read(spare, 0, want, pos).then(({ bytesRead }) => {
      pos += bytesRead;
      return bytesRead;
    });
    p.catch(() => {}); // awaited by read() or close(); never left unhandled
    return p;
  };
  return {
    size: end - start,
    async read(into, at) {
      if (spareStart === spareEnd) {
        pending ??= prefetch();
        if (!pending) return 0;
        const n = await pending;
        pending = null;
        spareStart = 0;
        spareEnd = n;
        if (n === 0) return 0;
      }
      const n = spare.copy(into, at, spareStart, Math.min(spareEnd, spareStart + into.length - at));
      spareStart += n;
      if (spareStart === spareEnd) pending = prefetch(); // read the next chunk while this one is checked
      return n;
    },
    async close() {
      await pending?.catch(() => {});
      await fh.close();
    },
  };
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

  constructor(
    private readonly source: ByteSource,
    size: number,
    private readonly maxSize: number,
    reuse?: Buffer,
  ) {
    this.buf = reuse ?? Buffer.allocUnsafe(size);
  }

  /** Reads once more; grows the buffer when it is full (a line longer than the buffer). */
  async fill(): Promise<void> {
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
