import type { OpenedRecord } from './record-seal.ts';
import type { SharedRow } from './record-store.ts';

/**
 * A records read's page as JSON text, written by hand so that each record's content and provenance go out as
 * the very JSON text the vault sealed, not parsed and serialised again (ARCHITECTURE.md, "Speed: what we design
 * with"). The members and their order are those JSON.stringify gives of
 * `{ grantId, customer, records: [{ id, category, content, source: { company, name, device? }, depositedAt,
 * digest, provenance? }], next? }`; every other string goes through JSON.stringify, so a company's name (typed
 * by the company) is escaped as it always was.
 */
export interface RecordsPage {
  json: string;
}

const str = JSON.stringify;

/** One record of the page; `name` is its source company's name. */
export function recordJson(row: SharedRow, rec: OpenedRecord, name: string): string {
  const device = row.deviceId ? `,"device":${str(row.deviceId)}` : '';
  const provenance = rec.provenance ? `,"provenance":${str(rec.provenance)}` : '';
  return (
    `{"id":${str(row.id)},"category":${str(row.category)},"content":${rec.contentJson},` +
    `"source":{"company":${str(row.companyId)},"name":${str(name)}${device}},` +
    `"depositedAt":${str(row.createdAt)},"digest":${str(rec.digest)}${provenance}}`
  );
}

export function pageJson(grantId: string, customer: string, records: string[], next?: string): RecordsPage {
  const rest = next ? `,"next":${str(next)}` : '';
  return { json: `{"grantId":${str(grantId)},"customer":${str(customer)},"records":[${records.join(',')}]${rest}}` };
}
