/**
 * The auditor's export formats (ARCHITECTURE.md, "The audit trail").
 *
 * JSON Lines (`.jsonl`, UTF-8, one LF-terminated line each):
 *
 *   line 1, the header:
 *     {"format":"vault-audit-export","version":1,"filtered":false,"filter":{…},
 *      "checkpoint":{"seq":N,"hash":"<hex>","time":"<iso>","jws":"<compact JWS>"}|null}
 *   then one line per event, in increasing seq, with this exact layout:
 *     {"seq":N,"prev":"<64 hex>","hash":"<64 hex>","event":<canonical event text>}
 *
 * - `event` is the stored canonical text (RFC 8785) verbatim, so hash = SHA-256(bytes(prev) ||
 *   event bytes) can be recomputed straight from the file's bytes, and the fixed key order lets the
 *   verifier slice seq/prev/hash at known offsets instead of parsing JSON (see verify/line.ts).
 * - The checkpoint sits in the header so the verifier learns which seq it signs before streaming:
 *   it can then compare that line's hash without keeping every hash in memory. Its `jws` is the
 *   signed truth (checkpoint.ts); the readable seq/hash/time beside it must equal the payload.
 *   Exports hold only events with seq <= checkpoint.seq; the caller signs a checkpoint at the head
 *   first, then exports up to it.
 * - `filtered` says the export was restricted (time range, company, customer, action, decision;
 *   `filter` records how). An unfiltered export must be complete: seq 1..checkpoint.seq with no
 *   gap. A filtered export cannot prove completeness: each line is checked on its own (its hash
 *   against its prev and event) and links are checked only where seqs are consecutive; only the run
 *   of consecutive events that reaches the checkpoint is authenticated by its signature. The
 *   header is not signed, so flipping `filtered` can only downgrade the result to `complete:false`.
 *
 * CSV (`.csv`, RFC 4180: CRLF rows, fields quoted when they hold `,` `"` CR or LF, quotes doubled):
 *
 *   row 1: the column names of CSV_COLUMNS
 *   row 2: `#export` in the seq column and the JSONL header object (above) in the event column
 *   then one row per event. The display columns are derived from the event text; `prev`, `hash`
 *   and `event` carry the chain, so a CSV export verifies like a JSON Lines one (more slowly), and
 *   the verifier also checks that every display column still says what the event says.
 *   Display values that a spreadsheet would run as a formula (leading = + - @ TAB CR) are prefixed
 *   with an apostrophe (OWASP "CSV injection"); the event column always starts with `{`.
 */
import type { AuditEvent, AuditRow } from '../chain/event.ts';
import type { ChainHead } from '../chain/chains.ts';

export const EXPORT_FORMAT = 'vault-audit-export';
/**
 * Version 1: one chain, the checkpoint is {seq, hash, time, jws}. Version 2: several chains (audit/chain/chains.ts),
 * the checkpoint also lists every chain's head, `chains: [{chain, seq, hash}…]`, which its JWS signs; seq and hash
 * are then the newest head's. Lines are the same in both; an event of a chain other than the default names it.
 */
export const EXPORT_VERSION = 1;
export const EXPORT_VERSION_CHAINS = 2;

export interface Checkpoint {
  seq: number;
  hash: string;
  time: string;
  /** Present when the checkpoint signs several chains' heads (export version 2). */
  chains?: ChainHead[];
}

export interface SignedCheckpoint extends Checkpoint {
  jws: string;
}

export type ExportFilter = Record<string, string | number | boolean>;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION | typeof EXPORT_VERSION_CHAINS;
  filtered: boolean;
  filter?: ExportFilter;
  checkpoint: SignedCheckpoint | null;
}

export function exportHeader(checkpoint: SignedCheckpoint | null, filter?: ExportFilter): ExportHeader {
  const filtered = filter !== undefined && Object.keys(filter).length > 0;
  const version = checkpoint?.chains ? EXPORT_VERSION_CHAINS : EXPORT_VERSION;
  const header: ExportHeader = { format: EXPORT_FORMAT, version, filtered, checkpoint };
  if (filtered) header.filter = filter;
  return header;
}

/** The fixed line layout; verify/line.ts depends on it byte for byte. */
export function jsonlLine(row: AuditRow): string {
  return `{"seq":${row.seq},"prev":"${row.prev_hash}","hash":"${row.hash}","event":${row.body}}\n`;
}

export const CSV_COLUMNS = [
  'seq',
  'time',
  'action',
  'actor',
  'customer',
  'company',
  'grant',
  'purpose',
  'fields',
  'decision',
  'reasons',
  'policy_version',
  'request_id',
  'prev',
  'hash',
  'event',
] as const;

export const CSV_HEADER_MARK = '#export';

/** RFC 4180 §2.6–2.7: quote a field holding a comma, quote, CR or LF; double inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** Neutralises spreadsheet formulas in display columns (they are derived, never hashed). */
function display(value: string | undefined): string {
  if (value === undefined) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The display columns for one event, between `seq` and `prev`; the verifier recomputes them. */
export function csvDisplayColumns(event: AuditEvent): string[] {
  return [
    display(event.time),
    display(event.action),
    display(event.actor ? `${event.actor.kind}:${event.actor.id}` : undefined),
    display(event.customerId),
    display(event.companyId),
    display(event.grantId),
    display(event.purpose),
    display(event.fields?.join(' ')),
    display(event.decision),
    display(event.reasons?.map((r) => r.code).join(' ')),
    display(event.policyVersion),
    display(event.requestId),
  ];
}

export function csvRow(row: AuditRow): string {
  const event = JSON.parse(row.body) as AuditEvent;
  return csvRecord([String(row.seq), ...csvDisplayColumns(event), row.prev_hash, row.hash, row.body]);
}

export function csvHeaderRows(header: ExportHeader): string {
  const mark = new Array<string>(CSV_COLUMNS.length).fill('');
  mark[0] = CSV_HEADER_MARK;
  mark[CSV_COLUMNS.length - 1] = JSON.stringify(header);
  return csvRecord(CSV_COLUMNS) + csvRecord(mark);
}
