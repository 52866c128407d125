import { PAGE_BUFFER_BYTES, type PageBufferLease, type PageBuffers } from './page-buffers.ts';
import type { SharedRow } from './record-store.ts';

/**
 * A records read's page as UTF-8 JSON bytes, written by hand so that each record's digest, content and
 * provenance go out as the very bytes the vault sealed, neither decoded nor parsed and serialised again
 * (ARCHITECTURE.md, "Speed: what we design with"). The members and their order are those JSON.stringify gives
 * of `{ grantId, customer, records: [{ id, category, source: { company, name, device? }, depositedAt, digest,
 * content, provenance? }], next? }`; every other string goes through JSON.stringify, so a company's name (typed
 * by the company) is escaped as it always was.
 */
export interface RecordsPage {
  json: Buffer;
  /**
   * To call once `json` has been written out (and not before: it may be a view of a reused buffer,
   * page-buffers.ts); a page never sent need not call it.
   */
  sent(): void;
}

/**
 * A string as JSON text, exactly as JSON.stringify writes it. A string with nothing to escape (no quote, backslash,
 * control character or surrogate; record ids, times and categories never have one) is only quoted: JSON.stringify
 * cost a tenth of a microsecond per call, four per record.
 */
const plain = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
export const str = (s: string) => (plain.test(s) ? `"${s}"` : JSON.stringify(s));

/**
 * A record as a page writes it, kept with the record once opened (record-tails.ts) so that the next page copies
 * it instead of writing it again (ARCHITECTURE.md, "Speed"): `{"id":…,"category":…,"source":{"company":…,"name":…`,
 * the device and deposit time, then the sealed tail from the digest on. Its source's name can change: bytes
 * split..nameEnd are `name` as written, replaced when the source now has another.
 */
export interface PagePiece {
  bytes: Buffer;
  split: number;
  nameEnd: number;
  name: string;
}

const before = (row: SharedRow) =>
  `{"id":${str(row.id)},"category":${str(row.category)},"source":{"company":${str(row.companyId)},"name":`;
const after = (row: SharedRow) =>
  `${row.deviceId ? `,"device":${str(row.deviceId)}` : ''}},"depositedAt":${str(row.createdAt)}`;

/** The piece of one record named `name`, whose tail is bytes start..end of `tail`, in memory of its own. */
export function pagePiece(row: SharedRow, name: string, tail: Buffer, start: number, end: number): PagePiece {
  const head = [before(row), str(name), after(row)].map((t) => Buffer.from(t));
  const length = head.reduce((n, h) => n + h.length, end - start);
  // Not from Buffer's shared pool: a kept piece would hold a whole pool block (8 KiB) in memory.
  const bytes = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const h of head) at += h.copy(bytes, at);
  tail.copy(bytes, at, start, end);
  return { bytes, split: head[0]!.length, nameEnd: head[0]!.length + head[1]!.length, name };
}

/**
 * Writes the page into one buffer as its records come: each either copied from its piece (`add`), or written
 * straight from the decryption (`open`) and then made a piece by `keep`, which copies the records opened since the
 * last `keep` into ONE new buffer and hands back each piece as a view of it: one allocation per page, not per
 * record. `reserve` sizes the buffer ahead of a batch of records; it grows (rarely: a page filled by several
 * queries) when a batch needs more. The page is a view of the bytes written, never of memory that was not.
 */
export function createPageWriter(grantId: string, customer: string, buffers?: PageBuffers) {
  let buf: Buffer = Buffer.allocUnsafe(0);
  // The reused buffer `buf` is, while the page fits in one (page-buffers.ts).
  let lease: PageBufferLease | undefined;
  let done = false;
  let at = 0;
  let count = 0;
  // Each source's name as JSON bytes, written once per page: a page holds few sources and many records.
  const names = new Map<string, Buffer>();
  const nameOf = (companyId: string, name: string) => {
    let n = names.get(companyId);
    if (n === undefined) names.set(companyId, (n = Buffer.from(str(name))));
    return n;
  };
  // Per record opened since the last keep(): where it starts, its name's start and end, where it ends; its name.
  const marks: number[] = [];
  const named: string[] = [];
  const room = (bytes: number) => {
    if (at + bytes <= buf.length) return;
    // After page(): the buffer may be another page's by now.
    if (done) throw new Error('records page written after it was finished');
    const fits = buffers && !lease && at + bytes <= PAGE_BUFFER_BYTES;
    const taken = fits ? buffers.take() : undefined;
    const next = taken?.bytes ?? Buffer.allocUnsafe(Math.max(at + bytes, 2 * buf.length));
    buf.copy(next, 0, 0, at);
    // Outgrown: nothing refers to the reused buffer any more (`keep` copies what it keeps), so it goes back now.
    lease?.release(at);
    lease = taken;
    buf = next;
  };
  // At most 3 UTF-8 bytes per UTF-16 unit: the text fits without measuring it first.
  const text = (s: string) => {
    room(3 * s.length);
    at += buf.write(s, at);
  };
  const comma = () => {
    room(1);
    if (count++) buf[at++] = 0x2c; // ,
  };
  text(`{"grantId":${str(grantId)},"customer":${str(customer)},"records":[`);
  return {
    /** Room for `bytes` more (a piece's length, or a seal's, which is longer than its tail, plus its head). */
    reserve(bytes: number) {
      room(bytes);
    },
    /** Writes a record from its piece, with its source's name as it is now. */
    add(companyId: string, name: string, piece: PagePiece) {
      comma();
      if (name === piece.name) {
        room(piece.bytes.length);
        at += piece.bytes.copy(buf, at);
        return;
      }
      const n = nameOf(companyId, name);
      room(piece.bytes.length - (piece.nameEnd - piece.split) + n.length);
      at += piece.bytes.copy(buf, at, 0, piece.split);
      at += n.copy(buf, at);
      at += piece.bytes.copy(buf, at, piece.nameEnd);
    },
    /** Writes a record straight from its opened tail (bytes start..end of `tail`); `keep` makes it a piece. */
    open(row: SharedRow, name: string, tail: Buffer, start: number, end: number) {
      comma();
      const from = at;
      text(before(row));
      const split = at;
      const n = nameOf(row.companyId, name);
      room(n.length);
      at += n.copy(buf, at);
      const nameEnd = at;
      text(after(row));
      room(end - start);
      at += tail.copy(buf, at, start, end);
      marks.push(from, split, nameEnd, at);
      named.push(name);
    },
    /**
     * The pieces of the records opened since the last keep for which `wanted(i)` holds (i counts them in their
     * order), copied into ONE new buffer of their exact size (not from Buffer's shared pool), which `bytes` says.
     */
    keep(wanted: (i: number) => boolean): { pieces: (PagePiece | undefined)[]; bytes: number } {
      let bytes = 0;
      for (let i = 0; i < marks.length; i += 4) if (wanted(i / 4)) bytes += marks[i + 3]! - marks[i]!;
      const into = Buffer.allocUnsafeSlow(bytes);
      const pieces: (PagePiece | undefined)[] = [];
      let to = 0;
      for (let i = 0; i < marks.length; i += 4) {
        if (!wanted(i / 4)) {
          pieces.push(undefined);
          continue;
        }
        const from = marks[i]!;
        const length = buf.copy(into, to, from, marks[i + 3]!);
        pieces.push({
          bytes: into.subarray(to, to + length),
          split: marks[i + 1]! - from,
          nameEnd: marks[i + 2]! - from,
          name: named[i / 4]!,
        });
        to += length;
      }
      marks.length = 0;
      named.length = 0;
      return { pieces, bytes };
    },
    page(next?: string): RecordsPage {
      text(`]${next ? `,"next":${str(next)}` : ''}}`);
      const leased = lease;
      const written = at;
      const json = buf.subarray(0, written);
      // Nothing more is written into it (room throws), and keep has nothing left to copy from it.
      done = true;
      buf = Buffer.alloc(0);
      at = 0;
      lease = undefined;
      return { json, sent: () => leased?.release(written) };
    },
  };
}
