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

/**
 * The members of one record before its sealed tail. `source` is the record's `"source":{"company":…,"name":…`
 * fragment, written once per source and page: a page holds few sources and many records.
 */
export function recordHead(row: SharedRow, source: string): string {
  const device = row.deviceId ? `,"device":${str(row.deviceId)}}` : '}';
  return `{"id":${str(row.id)},"category":${str(row.category)},${source}${device},"depositedAt":${str(row.createdAt)}`;
}

/**
 * Collects the page's records, each its head (text) and its sealed tail (bytes), and writes the page into one
 * buffer of its exact size at the end: no buffer per head, no concatenation of fifty pieces.
 */
export function createPageWriter() {
  const heads: string[] = [];
  const tails: Buffer[] = [];
  const sources = new Map<string, string>();
  const sourceOf = (companyId: string, name: string) => {
    let s = sources.get(companyId);
    if (s === undefined) sources.set(companyId, (s = `"source":{"company":${str(companyId)},"name":${str(name)}`));
    return s;
  };
  return {
    add(row: SharedRow, rec: OpenedRecord, name: string) {
      heads.push((heads.length ? ',' : '') + recordHead(row, sourceOf(row.companyId, name)));
      tails.push(rec.tail);
    },
    page(grantId: string, customer: string, next?: string): RecordsPage {
      const head = `{"grantId":${str(grantId)},"customer":${str(customer)},"records":[`;
      const end = `]${next ? `,"next":${str(next)}` : ''}}`;
      let size = Buffer.byteLength(head) + Buffer.byteLength(end);
      for (let i = 0; i < heads.length; i++) size += Buffer.byteLength(heads[i]!) + tails[i]!.length;
      // Every byte is written below before the buffer leaves (the sizes above are the exact UTF-8 lengths).
      const json = Buffer.allocUnsafe(size);
      let at = json.write(head, 0);
      for (let i = 0; i < heads.length; i++) {
        at += json.write(heads[i]!, at);
        at += tails[i]!.copy(json, at);
      }
      // Never send bytes that were not written (allocUnsafe leaves old memory in place).
      if (at + json.write(end, at) !== size) throw new Error('records page: written size differs from measured');
      return { json };
    },
  };
}
