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
}

/**
 * A string as JSON text, exactly as JSON.stringify writes it. A string with nothing to escape (no quote, backslash,
 * control character or surrogate; record ids, times and categories never have one) is only quoted: JSON.stringify
 * cost a tenth of a microsecond per call, four per record.
 */
const plain = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
export const str = (s: string) => (plain.test(s) ? `"${s}"` : JSON.stringify(s));

/**
 * A record as its page writes it, but for its source's name: the bytes before the name (`{"id":…,"category":…,
 * "source":{"company":…,"name":`) are bytes 0..split, those after it (the device, the deposit time, then the sealed
 * tail from the digest on) the rest. Made once per opened record and kept with it (record-tails.ts), so that a page
 * is copies of bytes, not text written again (ARCHITECTURE.md, "Speed").
 */
export interface PagePiece {
  bytes: Buffer;
  split: number;
}

/** The piece of `row`, whose tail is bytes start..end of `tail`. */
export function pagePiece(row: SharedRow, tail: Buffer, start: number, end: number): PagePiece {
  const before = `{"id":${str(row.id)},"category":${str(row.category)},"source":{"company":${str(row.companyId)},"name":`;
  const after = `${row.deviceId ? `,"device":${str(row.deviceId)}` : ''}},"depositedAt":${str(row.createdAt)}`;
  const split = Buffer.byteLength(before);
  const head = split + Buffer.byteLength(after);
  const bytes = Buffer.allocUnsafe(head + end - start);
  bytes.write(before, 0);
  bytes.write(after, split);
  tail.copy(bytes, head, start, end);
  return { bytes, split };
}

/**
 * Writes the page into one buffer as its records come: each record's piece around its source's name. `reserve`
 * sizes the buffer ahead of a batch of records; it grows (rarely: a page filled by several queries) when a batch
 * needs more. The page is a view of the bytes written, never of memory that was not.
 */
export function createPageWriter(grantId: string, customer: string) {
  let buf = Buffer.allocUnsafe(0);
  let at = 0;
  let count = 0;
  // Each source's name as JSON bytes, written once per page: a page holds few sources and many records.
  const names = new Map<string, Buffer>();
  const nameOf = (companyId: string, name: string) => {
    let n = names.get(companyId);
    if (n === undefined) names.set(companyId, (n = Buffer.from(str(name))));
    return n;
  };
  const room = (bytes: number) => {
    if (at + bytes <= buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(at + bytes, 2 * buf.length));
    buf.copy(next, 0, 0, at);
    buf = next;
  };
  // At most 3 UTF-8 bytes per UTF-16 unit: the text fits without measuring it first.
  const text = (s: string) => {
    room(3 * s.length);
    at += buf.write(s, at);
  };
  text(`{"grantId":${str(grantId)},"customer":${str(customer)},"records":[`);
  return {
    /** Room for these pieces, their commas, and their sources' names (3 bytes per UTF-16 unit at most). */
    reserve(pieces: readonly { piece: PagePiece; name: string }[]) {
      let bytes = 0;
      for (const { piece, name } of pieces) bytes += piece.bytes.length + 3 + 3 * name.length;
      room(bytes);
    },
    /** Writes a record: its piece around its source's name. */
    add(companyId: string, name: string, piece: PagePiece) {
      const n = nameOf(companyId, name);
      room(piece.bytes.length + n.length + 1);
      if (count++) buf[at++] = 0x2c; // ,
      at += piece.bytes.copy(buf, at, 0, piece.split);
      at += n.copy(buf, at);
      at += piece.bytes.copy(buf, at, piece.split);
    },
    page(next?: string): RecordsPage {
      text(`]${next ? `,"next":${str(next)}` : ''}}`);
      return { json: buf.subarray(0, at) };
    },
  };
}
