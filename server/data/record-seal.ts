import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { openField, openFieldBytes, openFieldsEach, sealField, sealText } from '../crypto/field-cipher.ts';

/**
 * What a record's sealed column holds: its content and the vault's provenance signature, sealed together
 * under the customer's data key with associated data `customer id | record:<id> | 1` (ARCHITECTURE.md, "The
 * encrypted profile"). The signature stays inside the seal because it carries the content's digest, and a
 * digest of a short record in the clear could be guessed back to the record.
 */
export interface SealedRecord {
  content: unknown;
  /** Compact JWS (RFC 7515) over the record's digest and provenance; absent on records older than migration 0013. */
  provenance?: string;
}

/** What a deposit seals besides the content: the signed digest, and when the recorded thing happened. */
export interface ReadIndex {
  digest: string;
  /** The catalogue's time of the content as an ISO instant, or null when the content names none. */
  time: string | null;
}

const binding = (customerId: string, id: string) => ({ customerId, field: `record:${id}`, version: 1 });

/**
 * Seals a record. With its provenance, the record is written in format 3 (`{"v":3,"time":…,"digest":…,
 * "content":…,"provenance":"<JWS>"}`): valid JSON that openRecord parses as before, laid out so that the
 * cross-company read finds the window's time and the digest at the start and passes the rest on as bytes.
 */
export function sealRecord(
  dek: Uint8Array,
  customerId: string,
  id: string,
  rec: SealedRecord & { index?: ReadIndex },
): Buffer {
  const { content, provenance, index } = rec;
  if (!provenance || !index) return sealField(dek, binding(customerId, id), { v: 2, content, provenance });
  const text =
    `{"v":3,"time":${JSON.stringify(index.time)},"digest":${JSON.stringify(index.digest)},` +
    `"content":${JSON.stringify(content)},"provenance":${JSON.stringify(provenance)}}`;
  return sealText(dek, binding(customerId, id), text);
}

export function openRecord(dek: Uint8Array, customerId: string, id: string, sealed: Uint8Array): SealedRecord {
  return asSealedRecord(openField(dek, binding(customerId, id), sealed));
}

function asSealedRecord(value: unknown): SealedRecord {
  const opened = value as { v?: number; content?: unknown; provenance?: string };
  // Records deposited before migration 0013 were sealed as bare content.
  return opened && (opened.v === 2 || opened.v === 3)
    ? { content: opened.content, provenance: opened.provenance }
    : { content: opened };
}

/**
 * A record opened for the cross-company read: when it happened (for the window) and its page members from the
 * digest on, `,"digest":"…","content":…[,"provenance":"…"]}`, as UTF-8 JSON ready to follow the record's head.
 */
export interface OpenedRecord {
  time: string | null;
  tail: Buffer;
}

const V3_HEAD = Buffer.from('{"v":3,"time":');
const V3_DIGEST = Buffer.from(',"digest":"sha-256:');
const QUOTE = 0x22;

/**
 * Opens a record for the cross-company read without parsing what the page passes on unchanged (ARCHITECTURE.md
 * "Speed": parsing, re-serialising and canonicalising every record was most of a read). The AEAD tag proves
 * these bytes are what sealRecord wrote, so their format-3 layout is known: the time is null or an ISO string
 * (no escapes), the digest member follows, and everything from it to the end is the page's tail of the record
 * (the vault computed the digest from this very content at deposit and signed it in the provenance, which the
 * company verifies against /jwks.json). Older formats are parsed and their digest computed, as before.
 */
export function openRecordForRead(
  dek: Uint8Array,
  customerId: string,
  id: string,
  sealed: Uint8Array,
  timeOf: (content: unknown) => string | undefined,
): OpenedRecord {
  const plain = openFieldBytes(dek, binding(customerId, id), sealed);
  return readTail(plain) ?? parsedTail(dek, customerId, id, sealed, timeOf);
}

/** What openRecordsEach hands over per record: when it happened, and its page tail as bytes start..end of `bytes`. */
export type VisitRecord = (i: number, time: string | null, bytes: Buffer, start: number, end: number) => void;

/**
 * openRecordForRead for a page of records, opened in one pass (field-cipher.ts openFieldsEach): each record's time
 * and tail go to `visit` in the rows' order while still on the decryption's scratch area, which `visit` copies
 * from (it must copy, and must open nothing itself). A record that fails to open throws before any visit.
 */
export function openRecordsEach(
  dek: Uint8Array,
  customerId: string,
  rows: readonly { id: string; category: string; sealed: Uint8Array }[],
  timeOf: (category: string, content: unknown) => string | undefined,
  visit: VisitRecord,
) {
  openFieldsEach(
    dek,
    rows.map(({ id, sealed }) => ({ binding: binding(customerId, id), sealed })),
    (i, heap, start, end) => {
      const at = tailAt(heap, start, end);
      if (at !== undefined) return visit(i, timeFound, heap, at, end);
      const row = rows[i]!;
      const older = olderTail(JSON.parse(heap.toString('utf8', start, end)), (c) => timeOf(row.category, c));
      visit(i, older.time, older.tail, 0, older.tail.length);
    },
  );
}

// The time tailAt found last: a second return value without an object per record.
let timeFound: string | null = null;

/** Whether `marker` lies at `at` in `plain`, before `end`: a byte loop, cheaper than a native call for so few. */
function markerAt(plain: Buffer, at: number, end: number, marker: Buffer): boolean {
  if (end - at < marker.length) return false;
  for (let i = 0; i < marker.length; i++) if (plain[at + i] !== marker[i]) return false;
  return true;
}

/**
 * Where a format-3 record's tail starts in bytes start..end (its time left in timeFound), or undefined for an
 * older format. Compared in place: a view per comparison cost an object per record.
 */
function tailAt(plain: Buffer, start: number, end: number): number | undefined {
  if (!markerAt(plain, start, end, V3_HEAD)) return undefined;
  let at = start + V3_HEAD.length;
  timeFound = null;
  if (plain[at] === QUOTE) {
    const close = plain.indexOf(QUOTE, at + 1);
    if (close < 0 || close >= end) return undefined;
    timeFound = plain.toString('latin1', at + 1, close);
    at = close + 1;
  } else at += 4; // null
  return markerAt(plain, at, end, V3_DIGEST) ? at : undefined;
}

/** A format-3 record's time and tail, found in its opened bytes; undefined for an older format. */
function readTail(plain: Buffer): OpenedRecord | undefined {
  const at = tailAt(plain, 0, plain.length);
  return at === undefined ? undefined : { time: timeFound, tail: plain.subarray(at) };
}

/** An older record, parsed and its digest computed, as before format 3. */
function parsedTail(
  dek: Uint8Array,
  customerId: string,
  id: string,
  sealed: Uint8Array,
  timeOf: (content: unknown) => string | undefined,
): OpenedRecord {
  return olderTail(openField(dek, binding(customerId, id), sealed), timeOf);
}

/** The tail of an older record from its opened JSON value (bare content, or format 2). */
function olderTail(opened: unknown, timeOf: (content: unknown) => string | undefined): OpenedRecord {
  const rec = asSealedRecord(opened);
  const happened = timeOf(rec.content);
  const provenance = rec.provenance ? `,"provenance":${JSON.stringify(rec.provenance)}` : '';
  const tail = `,"digest":${JSON.stringify(recordDigest(rec.content))},"content":${JSON.stringify(rec.content)}${provenance}}`;
  return { time: happened ? new Date(happened).toISOString() : null, tail: Buffer.from(tail, 'utf8') };
}

/** `sha-256:` and the base64url SHA-256 of the content's RFC 8785 canonical JSON: what a reader recomputes. */
export function recordDigest(content: unknown): string {
  return `sha-256:${createHash('sha256')
    .update(canonicalize(content) ?? 'null', 'utf8')
    .digest('base64url')}`;
}
