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

/** Collects the page's records, each its head and its sealed tail, and writes the page in one buffer. */
export function createPageWriter() {
  const parts: Buffer[] = [];
  let length = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    length += b.length;
  };
  return {
    add(row: SharedRow, rec: OpenedRecord, name: string) {
      push(Buffer.from((parts.length ? ',' : '') + recordHead(row, name), 'utf8'));
      push(rec.tail);
    },
    page(grantId: string, customer: string, next?: string): RecordsPage {
      const head = Buffer.from(`{"grantId":${str(grantId)},"customer":${str(customer)},"records":[`, 'utf8');
      const end = Buffer.from(`]${next ? `,"next":${str(next)}` : ''}}`, 'utf8');
      return { json: Buffer.concat([head, ...parts, end], head.length + length + end.length) };
    },
  };
}
