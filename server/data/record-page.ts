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
 * The members of one record before its sealed tail. `source` is the record's `"source":{"company":…,"name":…`
 * fragment, written once per source and page: a page holds few sources and many records.
 */
export function recordHead(row: SharedRow, source: string): string {
  const device = row.deviceId ? `,"device":${str(row.deviceId)}}` : '}';
  return `{"id":${str(row.id)},"category":${str(row.category)},${source}${device},"depositedAt":${str(row.createdAt)}`;
}

/**
 * Writes the page into one buffer as its records come: each record's head (text) and its tail, copied from where
 * the decryption left it (record-seal.ts openRecordsEach), so that the plaintexts need no buffer of their own and
 * the page no second copy (ARCHITECTURE.md, "Speed"). `reserve` sizes the buffer ahead of a batch of records; it
 * grows (rarely: a page filled by several queries) when a batch needs more. The page is a view of the bytes
 * written, never of memory that was not.
 */
export function createPageWriter(grantId: string, customer: string) {
  let buf = Buffer.allocUnsafe(0);
  let at = 0;
  let count = 0;
  const sources = new Map<string, string>();
  const sourceOf = (companyId: string, name: string) => {
    let s = sources.get(companyId);
    if (s === undefined) sources.set(companyId, (s = `"source":{"company":${str(companyId)},"name":${str(name)}`));
    return s;
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
    /**
     * Room for these records, allocated once: a tail is shorter than its seal (by its nonce, tag and format byte at
     * least), a head is its strings and about 100 bytes of member names (3 bytes per unit for text() of the last).
     */
    reserve(rows: readonly SharedRow[], nameOf: (companyId: string) => string) {
      let bytes = 0;
      let widest = 0;
      for (const r of rows) {
        const strings = r.id.length + r.category.length + r.companyId.length + r.createdAt.length;
        const head = 128 + strings + nameOf(r.companyId).length + (r.deviceId?.length ?? 0);
        bytes += r.sealed.length - 41 + head;
        widest = Math.max(widest, head);
      }
      room(bytes + 2 * widest);
    },
    /** Writes a record: its head, then bytes start..end of `tail` (its sealed members from the digest on). */
    add(row: SharedRow, name: string, tail: Buffer, start: number, end: number) {
      text((count++ ? ',' : '') + recordHead(row, sourceOf(row.companyId, name)));
      room(end - start);
      at += tail.copy(buf, at, start, end);
    },
    page(next?: string): RecordsPage {
      text(`]${next ? `,"next":${str(next)}` : ''}}`);
      return { json: buf.subarray(0, at) };
    },
  };
}
