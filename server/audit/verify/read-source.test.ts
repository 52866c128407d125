import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFile, openSource, ReadWindow, WINDOW_SLACK } from './read-source.ts';
import type { ByteSource } from './read-source.ts';

let dir: string;
let file: string;
const data = randomBytes(9 * 1024 * 1024 + 123); // more than two prefetch chunks

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-source-'));
  file = join(dir, 'data.bin');
  await writeFile(file, data);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function drain(source: ByteSource, room: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const into = Buffer.alloc(room);
  for (let n = await source.read(into, 0); n > 0; n = await source.read(into, 0))
    parts.push(Buffer.from(into.subarray(0, n)));
  await source.close();
  return Buffer.concat(parts);
}

describe('openFile', () => {
  it('when read through a small buffer, then the bytes are exactly the file, in order', async () => {
    expect((await drain(await openFile(file), 1_000_003)).equals(data)).toBe(true);
  });

  it('when given a range, then exactly that range is read', async () => {
    const source = await openFile(file, { start: 5_000_000, end: 8_500_001 });
    expect(source.size).toBe(3_500_001);
    expect((await drain(source, 777_777)).equals(data.subarray(5_000_000, 8_500_001))).toBe(true);
  });

  it('when a window keeps a partial line at its front, then each fill still takes a whole read-ahead chunk', async () => {
    // A window of exactly the chunk size took the chunk less the partial line, then came back for the last
    // few bytes, and only then was the next chunk read: the read-ahead never overlapped the checking.
    const source = await openFile(file);
    const sizes: number[] = [];
    const counting: ByteSource = {
      size: source.size,
      close: () => source.close(),
      read: async (into, at) => {
        const n = await source.read(into, at);
        sizes.push(n);
        return n;
      },
    };
    const win = new ReadWindow(counting, 4 * 1024 * 1024 + WINDOW_SLACK, 64 * 1024 * 1024);
    while (!win.eof) {
      await win.fill();
      win.consume(Math.max(0, win.filled - 600)); // a 600-byte partial line stays
    }
    await counting.close();
    const chunk = 4 * 1024 * 1024;
    expect(sizes).toEqual([chunk, chunk, data.length - 2 * chunk, 0]);
  });

  it('when a window takes chunks where they lie and keeps partial lines short and long, then it sees exactly the file', async () => {
    const source = await openFile(file);
    expect(source.take).toBeTypeOf('function');
    const win = new ReadWindow(source, 4 * 1024 * 1024 + WINDOW_SLACK, 64 * 1024 * 1024);
    const seen: Buffer[] = [];
    // Partial lines of 600 bytes (taken where they lie), 300 KB (longer than the room before a chunk: copied)
    // and 5 MB (longer than a chunk: the window grows), in turn.
    const keeps = [600, 300 * 1024, 600, 5 * 1024 * 1024, 600, 600];
    for (let i = 0; !win.eof; i++) {
      await win.fill();
      const n = win.eof ? win.filled : Math.max(0, win.filled - keeps[i % keeps.length]!);
      seen.push(Buffer.from(win.buf.subarray(0, n)));
      win.consume(n);
    }
    await source.close();
    expect(Buffer.concat(seen).equals(data)).toBe(true);
  });

  it('when closed while a read-ahead is in flight, then it closes cleanly', async () => {
    const source = await openFile(file);
    await source.read(Buffer.alloc(4 * 1024 * 1024), 0); // consumes the first chunk and starts the next read
    await expect(source.close()).resolves.toBeUndefined();
  });
});

describe('openSource over a stream', () => {
  it('when chunks are larger than the room, then the rest is kept for the next read', async () => {
    async function* chunks() {
      yield data.subarray(0, 3_000_000);
      yield 'text';
      yield data.subarray(3_000_000);
    }
    const got = await drain(await openSource(chunks()), 65_536);
    expect(
      got.equals(Buffer.concat([data.subarray(0, 3_000_000), Buffer.from('text'), data.subarray(3_000_000)])),
    ).toBe(true);
  });
});
