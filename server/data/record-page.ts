import type { OpenedRecord } from './record-seal.ts';
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

const str = JSON.stringify;

/** The members of one record before its sealed tail; `name` is its source company's name. */
export function recordHead(row: SharedRow, name: string): string {
  const device = row.deviceId ? `,"device":${str(row.deviceId)}` : '';
  return (
    `{"id":${str(row.id)},"category":${str(row.category)},` +
    `"source":{"company":${str(row.companyId)},"name":${str(name)}${device}},"depositedAt":${str(row.createdAt)}`
  );
}

/**
 * Collects the page's records, each its head and its sealed tail, and writes the page in one buffer: the heads
 * straight into it as UTF-8, the tails copied (no Buffer per head, no list of parts to concatenate).
 */
export function createPageWriter() {
  const heads: string[] = [];
  const tails: Buffer[] = [];
  let room = 0;
  return {
    add(row: SharedRow, rec: OpenedRecord, name: string) {
      const head = (heads.length ? ',' : '') + recordHead(row, name);
      heads.push(head);
      tails.push(rec.tail);
      // At most 3 UTF-8 bytes per UTF-16 unit; the page is cut to what was written.
      room += 3 * head.length + rec.tail.length;
    },
    page(grantId: string, customer: string, next?: string): RecordsPage {
      const start = `{"grantId":${str(grantId)},"customer":${str(customer)},"records":[`;
      const end = `]${next ? `,"next":${str(next)}` : ''}}`;
      const json = Buffer.allocUnsafe(room + 3 * (start.length + end.length));
      let at = json.write(start, 0, 'utf8');
      heads.forEach((head, i) => {
        at += json.write(head, at, 'utf8');
        at += tails[i]!.copy(json, at);
      });
      at += json.write(end, at, 'utf8');
      return { json: json.subarray(0, at) };
    },
  };
}
