import { createHash, randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import type { Decide } from '../grants/decide.ts';
import { durationDaysOf, type Grant } from '../grants/service.ts';
import type { UsageCounter } from '../grants/usage.ts';
import { Conflict, ValidationFailed } from '../http/errors.ts';
import { windowStart } from '../oauth/record-access.ts';
import type { CustomerCriteria, Decision } from '../policy/types.ts';
import type { createAdmission, DataRequest, Outcome } from './admission.ts';
import { dataEvent } from './admission.ts';
import type { Use } from './grant-check.ts';
import { DEVICE_ATTENTION, parseRecordContent, recordSpec } from './record-catalogue.ts';
import type { PageBuffers } from './page-buffers.ts';
import { createPageWriter, pagePiece, type PagePiece } from './record-page.ts';
import { openRecord, openRecordsEach, recordDigest, sealRecord } from './record-seal.ts';
import type { RecordCursor, RecordRow, RecordStore, SealedRow, SharedRow } from './record-store.ts';
import type { CustomerTails, OpenedRecord, RecordTails } from './record-tails.ts';

export interface DepositInput {
  category: string;
  content: unknown;
  idempotencyKey?: string;
}

export interface RecordQuery {
  categories?: string[];
  since?: string;
  source?: string;
  cursor?: RecordCursor;
  limit: number;
}

/** The largest page of a records read (SECURITY.md "Records"). */
export const RECORDS_PAGE_MAX = 100;

type Admission = ReturnType<typeof createAdmission>;

/**
 * The record uses of a grant, each run inside the data service's audited unit (ARCHITECTURE.md, "The audited
 * unit and group commit"): a deposit (typed, idempotent, signed provenance) and the cross-company read.
 */
export function createRecordUnits(
  ctx: AppContext,
  d: Admission & {
    store: RecordStore;
    dekOf: (customerId: string) => Promise<Uint8Array>;
    decide: Decide;
    audit: AuditAppend;
    usage: UsageCounter;
    companyName: (companyId: string) => Promise<string>;
    criteriaOf: (customerId: string) => Promise<CustomerCriteria>;
    onDeviceAttention: (customerId: string, recordId: string) => void | Promise<void>;
    /** Refuses a deposit to a full vault (customer-records.ts, RECORDS_PER_CUSTOMER). */
    roomFor: (customerId: string, companyId: string) => void | Promise<void>;
    /** Records opened before (record-tails.ts). */
    tails: RecordTails;
    /** The memory pages are written into, reused (page-buffers.ts). */
    pageBuffers?: PageBuffers;
  },
) {
  // `criteria`: the customer's stored criteria when the caller has them already (one lookup per read, not two).
  const decideFor = async (stage: 'read' | 'deposit', g: Grant, now: Date, criteria?: CustomerCriteria) =>
    d.decide(stage, {
      customerId: g.customerId,
      companyId: g.companyId,
      ...(criteria ? { criteria } : {}),
      request: {
        purpose: g.purpose,
        fields: stage === 'read' ? [] : g.fields,
        actions: g.actions,
        durationDays: durationDaysOf(g),
        ...(g.records ? { records: g.records } : {}),
      },
      usage: await d.usage.of(g.customerId, g.id, stage, now),
    });

  const refusal = (g: Grant, r: DataRequest, now: Date, use: Use, code: string, message: string) => {
    const reasons = [{ code, message, source: 'platform' as const, effect: 'deny' as const }];
    return d.denied(g, r, now, [], { reasons, policyVersion: ctx.policies.version }, message, true);
  };

  /**
   * The ids of a page of the customer's shareable records (record-store.ts `shareable`). Those of a page asked before
   * come from `opened` while the customer's records version is the one the database gave them at (SQLite): a deposit,
   * hide or deletion of any of their records since sets another, so only the version is read.
   */
  async function pageIds(
    opened: CustomerTails,
    customerId: string,
    categories: string[],
    since: string,
    after: RecordCursor | undefined,
    limit: number,
  ): Promise<readonly string[]> {
    const key = JSON.stringify([categories, since, after?.createdAt, after?.id, limit]);
    const version = await d.store.recordsVersion(customerId);
    const known = version === undefined ? undefined : opened.idsAt(key, version);
    if (known) return known;
    const page = await d.store.shareable(customerId, categories, since, after, limit);
    if (page.version !== undefined) opened.keepIds(key, page.version, page.ids);
    return page.ids;
  }

  return {
    async deposit(
      r: DataRequest,
      input: DepositInput,
      deviceId?: string,
    ): Promise<Outcome<{ replayed: boolean; body: object }>> {
      const now = ctx.clock.now();
      const use: Use = { action: 'deposit', fields: [], category: input.category, auditTokenRefusal: true };
      const g = await d.admit(r, now, use);
      if (!('id' in g)) return g;
      const decision: Decision = await decideFor('deposit', g, now);
      if (!decision.allow) return d.denied(g, r, now, [], decision, 'The policy refuses this deposit');
      // Checked after the grant so that a company learns nothing about a vault it may not write to.
      const parsed = parseRecordContent(input.category, input.content);
      if (!parsed.ok)
        throw new ValidationFailed(`The content does not match the ${input.category} record schema`, {
          errors: parsed.errors,
        });
      const digest = recordDigest(parsed.value);
      const dek = await d.dekOf(g.customerId);
      // Kept only as its SHA-256: the key is typed by the company and may carry personal data (an order number
      // made of an e-mail address), which the database never holds in the clear (SECURITY.md "Records").
      const key = input.idempotencyKey ? createHash('sha256').update(input.idempotencyKey).digest('hex') : undefined;
      const earlier = key ? await d.store.byIdempotencyKey(g.customerId, g.companyId, key) : undefined;
      if (earlier) {
        // A retry answers what the first deposit answered (draft-ietf-httpapi-idempotency-key-header §2.6);
        // the same key with other content is the company's mistake, refused and not stored.
        const was = openRecord(dek, g.customerId, earlier.id, earlier.sealed);
        if (recordDigest(was.content) !== digest || earlier.category !== input.category)
          throw new Conflict('This Idempotency-Key was used for a different record');
        return { value: { replayed: true, body: answer(earlier, digest) } };
      }
      await d.roomFor(g.customerId, g.companyId);
      const id = randomUUID();
      const createdAt = now.toISOString();
      const row = {
        id,
        customerId: g.customerId,
        companyId: g.companyId,
        grantId: g.id,
        category: input.category,
        createdAt,
        idempotencyKey: key ?? null,
        deviceId: deviceId ?? null,
      };
      const provenance = ctx.signing.signSync(
        {
          iss: ctx.config.publicUrl,
          sub: r.handle,
          iat: Math.floor(now.getTime() / 1000),
          record: id,
          category: input.category,
          digest,
          source: {
            company: g.companyId,
            name: await d.companyName(g.companyId),
            ...(deviceId ? { device: deviceId } : {}),
          },
          grant: g.id,
          depositedAt: createdAt,
        },
        'record-provenance+jwt',
      );
      const happened = recordSpec(input.category).timeOf?.(parsed.value);
      const index = { digest, time: happened ? new Date(happened).toISOString() : null };
      await d.store.insert({
        ...row,
        sealed: sealRecord(dek, g.customerId, id, { content: parsed.value, provenance, index }),
      });
      await d.usage.record(g.customerId, g.id, 'deposit', now);
      await d.audit(
        dataEvent('data.deposit', g, r, {
          decision: 'allow',
          policyVersion: decision.policyVersion,
          detail: { category: input.category, recordId: id, ...(deviceId ? { deviceId } : {}) },
        }),
      );
      const events = (parsed.value as { events?: { kind: string }[] }).events ?? [];
      if (input.category === 'devices' && events.some((e) => (DEVICE_ATTENTION as readonly string[]).includes(e.kind)))
        await d.onDeviceAttention(g.customerId, id);
      return { value: { replayed: false, body: answer({ ...row, hiddenAt: null } as RecordRow, digest) } };
    },

    /** Inside its unit, its first reads already fetched (data/service.ts auditedRead). */
    async read(r: DataRequest, q: RecordQuery, now: Date) {
      const use: Use = { action: 'read', fields: [], recordCategories: q.categories, auditTokenRefusal: true };
      const g = await d.admit(r, now, use);
      if (!('id' in g)) return g;
      const asked = q.categories ?? g.records?.categories ?? [];
      if (!g.records || asked.length === 0)
        return refusal(g, r, now, use, 'RECORDS_NOT_GRANTED', 'This grant does not cover any records.');
      const from = windowStart(g.records.window, now).toISOString();
      if (q.since && q.since < from)
        return refusal(g, r, now, use, 'OUTSIDE_WINDOW', 'The grant does not reach back that far.');
      const sources = g.records.sources;
      if (q.source && sources !== 'any' && !sources.includes(q.source))
        return refusal(g, r, now, use, 'OUTSIDE_SOURCES', 'The grant does not cover records from that source.');
      const criteria = await d.criteriaOf(g.customerId);
      const decision = await decideFor('read', g, now, criteria);
      if (!decision.allow) return d.denied(g, r, now, [], decision, 'The policy refuses this read');
      const never = new Set(criteria.recordsNeverFrom ?? []);
      const admitted = (row: SharedRow) =>
        !never.has(row.companyId) &&
        (sources === 'any' || sources.includes(row.companyId)) &&
        (!q.source || row.companyId === q.source);
      const dek = await d.dekOf(g.customerId);
      const opened = d.tails.of(g.customerId, dek);
      // A page holds few sources: each name is looked up once per read, not once per record, and before the
      // page's records are written, so that writing them awaits nothing (an await per record cost promises).
      const names = new Map<string, string>();
      const nameAll = async (rows: SharedRow[]) => {
        for (const { companyId } of rows)
          if (!names.has(companyId)) names.set(companyId, await d.companyName(companyId));
      };
      const out = createPageWriter(g.id, r.handle, d.pageBuffers);
      const ids: string[] = [];
      const sourcesRead = new Set<string>();
      let after = q.cursor;
      let last: SharedRow | undefined;
      let more = true;
      const timeOf = (category: string, content: unknown) => recordSpec(category).timeOf?.(content);
      // Sources and the window are judged after the query (the window on when the thing happened, which is
      // sealed), so filling a page may take several queries; hidden records never leave the store.
      while (ids.length < q.limit && more) {
        // One page's worth at a time: every row fetched costs even when the first rows fill the page.
        const batch = q.limit;
        // Records opened before come from `opened` (record-tails.ts), taken now: what another read drops while this
        // one awaits stays valid here. With nothing kept for the customer, the page comes with its content in one
        // query; else only its ids do, and the records not kept are fetched with theirs (a record deleted between
        // the two queries, as PostgreSQL reads each statement afresh, is left out).
        const kept = new Map<string, OpenedRecord>();
        let fetched: Map<string, SealedRow> | undefined;
        let rows: SharedRow[];
        if (opened.empty()) {
          const sealed = await d.store.shareableSealed(g.customerId, asked, q.since ?? '', after, batch);
          more = sealed.length === batch;
          fetched = new Map(sealed.map((row) => [row.id, row]));
          rows = sealed;
        } else {
          const found = await pageIds(opened, g.customerId, asked, q.since ?? '', after, batch);
          more = found.length === batch;
          for (const id of found) {
            const k = opened.get(id);
            if (k) kept.set(id, k);
          }
          const missing = found.filter((id) => !kept.has(id));
          if (missing.length > 0) fetched = await d.store.sealedOf(g.customerId, missing);
          rows = found.flatMap((id) => {
            const row = kept.get(id)?.row ?? fetched?.get(id);
            return row ? [row] : [];
          });
        }
        if (rows.length) after = { createdAt: rows[rows.length - 1]!.createdAt, id: rows[rows.length - 1]!.id };
        const wanted = rows.filter(admitted);
        // No more records than the page still needs are opened each time, together (record-seal.ts
        // openRecordsEach). In the page's order, a record kept is copied from its piece, one opened now is written
        // straight from the decryption; those are then kept (record-page.ts `keep`), with those the window leaves out.
        for (let at = 0; at < wanted.length && ids.length < q.limit;) {
          const chunk = wanted.slice(at, (at += q.limit - ids.length));
          await nameAll(chunk);
          const opens = chunk.map((row) => kept.get(row.id));
          const closed = chunk.flatMap((row, i) => (opens[i] ? [] : [i]));
          const sealed = closed.map((i) => fetched!.get(chunk[i]!.id)!);
          let room = 0;
          chunk.forEach(
            (row, i) => (room += 3 * names.get(row.companyId)!.length + 200 + (opens[i]?.piece.bytes.length ?? 0)),
          );
          for (const row of sealed) room += row.sealed.length;
          out.reserve(room);
          const write = (row: SharedRow) => {
            ids.push(row.id);
            sourcesRead.add(row.companyId);
            last = row;
          };
          let next = 0;
          const copyKeptUpTo = (end: number) => {
            for (; next < end; next++) {
              const row = chunk[next]!;
              const { time, piece } = opens[next]!;
              if ((time ?? row.createdAt) < from) continue;
              out.add(row.companyId, names.get(row.companyId)!, piece);
              write(row);
            }
          };
          const times: (string | null)[] = [];
          const written: number[] = [];
          const outside = new Map<number, PagePiece>();
          openRecordsEach(dek, g.customerId, sealed, timeOf, (k, time, bytes, start, end) => {
            const i = closed[k]!;
            copyKeptUpTo(i);
            next = i + 1;
            const row = sealed[k]!;
            const name = names.get(row.companyId)!;
            times[k] = time;
            if ((time ?? row.createdAt) < from) {
              if (opened.keeps) outside.set(k, pagePiece(row, name, bytes, start, end));
            } else {
              out.open(row, name, bytes, start, end);
              written.push(k);
              write(row);
            }
          });
          copyKeptUpTo(chunk.length);
          if (!opened.keeps) continue;
          // Not those another read has kept meanwhile: what is kept is what is counted (record-tails.ts keepAll).
          const fresh = (k: number) => !opened.get(sealed[k]!.id);
          const { pieces, bytes } = out.keep((j) => fresh(written[j]!));
          const keep = written.flatMap((k, j) =>
            pieces[j] ? [{ row: sealed[k]!, time: times[k] ?? null, piece: pieces[j] }] : [],
          );
          opened.keepAll(keep, bytes);
          for (const [k, piece] of outside)
            if (fresh(k)) opened.keepAll([{ row: sealed[k]!, time: times[k] ?? null, piece }], piece.bytes.length);
        }
      }
      const next =
        ids.length === q.limit && last
          ? Buffer.from(JSON.stringify({ createdAt: last.createdAt, id: last.id })).toString('base64url')
          : undefined;
      // Written now, before the audit append below, so that no plaintext waits on a scratch area; it leaves only
      // once that append is durable (the caller's unit), like every read.
      const page = out.page(next);
      await d.usage.record(g.customerId, g.id, 'read', now);
      await d.audit(
        dataEvent('data.read', g, r, {
          decision: 'allow',
          policyVersion: decision.policyVersion,
          detail: {
            records: ids.length,
            recordIds: ids.join(','),
            recordSources: [...sourcesRead].join(','),
          },
        }),
      );
      return { value: page };
    },
  };

  function answer(row: RecordRow, digest: string) {
    return { id: row.id, category: row.category, grantId: row.grantId, depositedAt: row.createdAt, digest };
  }
}

export type RecordUnits = ReturnType<typeof createRecordUnits>;
