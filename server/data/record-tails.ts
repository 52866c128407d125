import type { PagePiece } from './record-page.ts';
import type { SharedRow } from './record-store.ts';

/**
 * Opened records kept for the cross-company read (ARCHITECTURE.md, "Speed: what we design with"; SECURITY.md
 * "Records"): a record's sealed content never changes once deposited (hiding and deleting touch its row, a key
 * rotation re-seals the same bytes), nor do its source, device, category and deposit time, so what opening it gives
 * the page (when it happened, and its page piece) can be kept and reused, and the page is still decided by the
 * database on every read: which records, hidden or not, deleted or not, in which order. Only fetching and opening
 * the rows is saved; and, on SQLite, walking the index for a page asked before while the customer's records version
 * (record-store.ts `recordsVersion`) is the one its ids were read at (`idsAt`, `keepIds`).
 *
 * A customer's opened records are kept with the data key that opened them and used only while that key is the one
 * `dekOf` gives (a rewrap or a deletion drops them at the next read), at most TAILS_TTL_MS after the first was
 * kept (the timer drops expired ones within SWEEP_MS more when no read comes), and in at most `maxBytes` for the
 * whole process, counted as the buffers the pieces are views of, oldest customer dropped first. Nothing is held
 * for a customer until a read keeps something. A dropped customer's records go to the garbage collector, like any
 * decrypted value (SECURITY.md "Not protected"): zeroing them would break a read still copying from them. An
 * account deletion drops them at once (`forget`).
 */
export const TAILS_TTL_MS = 10 * 60_000;
export const TAILS_MAX_BYTES = 64 * 1024 * 1024;
const SWEEP_MS = 60_000;
/** Pages of ids kept per customer (different categories, cursors or limits), the oldest replaced first. */
export const PAGES_KEPT = 8;
/** What a kept id is counted as: a record id's string (36 characters) and its place in the array, rounded up. */
const ID_BYTES = 64;
/**
 * What a kept page is counted as besides its ids: its key's characters (two bytes each: a cursor id is up to 100
 * characters a company chose), and its map entry, object and array, rounded up.
 */
const pageBytes = (key: string, ids: readonly string[]) => 2 * key.length + 256 + ID_BYTES * ids.length;

/**
 * One record as the page needs it: what the page says of it besides its content (its row's columns, none of which
 * changes once deposited), when it happened (from its sealed content, if it says) and its page piece.
 */
export interface OpenedRecord {
  row: SharedRow;
  time: string | null;
  piece: PagePiece;
}

/** The ids of one page of the customer's shareable records, as the database gave them at this records version. */
interface PageIds {
  version: number;
  ids: readonly string[];
  bytes: number;
}

interface Held {
  dek: Uint8Array;
  at: number;
  bytes: number;
  tails: Map<string, OpenedRecord>;
  pages: Map<string, PageIds>;
  dropped: boolean;
}

export function createRecordTails(opts: { maxBytes?: number; ttlMs?: number; now?: () => number } = {}) {
  const maxBytes = opts.maxBytes ?? TAILS_MAX_BYTES;
  const ttlMs = opts.ttlMs ?? TAILS_TTL_MS;
  const now = opts.now ?? Date.now;
  // In the order the customers were first kept: the oldest is the first to expire and the first to drop.
  const held = new Map<string, Held>();
  let total = 0;

  function drop(customerId: string, h: Held) {
    if (held.get(customerId) === h) held.delete(customerId);
    h.dropped = true;
    total -= h.bytes;
    h.bytes = 0;
    h.tails.clear();
    h.pages.clear();
  }

  function dropExpired(t: number) {
    for (const [customerId, h] of held) {
      if (t - h.at < ttlMs) break;
      drop(customerId, h);
    }
  }

  const timer = setInterval(() => dropExpired(now()), SWEEP_MS);
  timer.unref();

  return {
    /**
     * The customer's opened records, for a read that holds `dek` (the key `dekOf` gave it): kept ones only if they
     * were opened with that very key and are fresh. Nothing is held for a customer (nor their key) until a read
     * keeps something.
     */
    of(customerId: string, dek: Uint8Array) {
      dropExpired(now());
      let mine = held.get(customerId);
      if (mine && mine.dek !== dek) {
        drop(customerId, mine);
        mine = undefined;
      }
      const seen = mine;
      return {
        get: (recordId: string) => seen?.tails.get(recordId),
        /** Whether nothing of the customer's is kept (a read then fetches its page with the content at once). */
        empty: () => !seen || seen.tails.size === 0,
        /** Whether anything can be kept at all (VAULT_RECORDS_KEPT_MIB=0 keeps nothing: a read makes no pieces). */
        keeps: maxBytes > 0,
        /**
         * Keeps these opened records, whose pieces are views of one buffer of `bytes` (record-page.ts `keep`): all
         * of them or, when that buffer does not fit beside what is kept of the customer, none, so that what is held
         * is what is counted. The caller leaves out records kept already. Older customers make room first, never
         * this one: the read still copies from records of theirs it took.
         */
        keepAll(records: readonly { row: SharedRow; time: string | null; piece: PagePiece }[], bytes: number) {
          if (records.length === 0 || bytes > maxBytes) return;
          let h = held.get(customerId);
          // Another read has kept this customer's records under another key (a newer one): leave them.
          if (h && h.dek !== dek) return;
          if (seen && h !== seen) return;
          for (const [other, o] of held) {
            if (total + bytes <= maxBytes) break;
            if (o !== h) drop(other, o);
          }
          if (total + bytes > maxBytes) return;
          if (!h)
            held.set(
              customerId,
              (h = { dek, at: now(), bytes: 0, tails: new Map(), pages: new Map(), dropped: false }),
            );
          for (const { row, time, piece } of records) {
            // The row's own columns only: a fetched row carries its sealed blob too, which is not kept.
            const { id, companyId, category, createdAt, deviceId } = row;
            h.tails.set(id, { row: { id, companyId, category, createdAt, deviceId }, time, piece });
          }
          h.bytes += bytes;
          total += bytes;
        },
        /**
         * The ids of the page asked as `key`, if kept at this records version (record-store.ts `recordsVersion`):
         * any write to the customer's records since has set another.
         */
        idsAt(key: string, version: number): readonly string[] | undefined {
          const page = seen?.pages.get(key);
          return page && page.version === version && !seen!.dropped ? page.ids : undefined;
        },
        /**
         * Keeps the ids of the page asked as `key`, as the database gave them at `version`: only beside records kept
         * (nothing is held for a customer until then), at most PAGES_KEPT pages, counted in the bound.
         */
        keepIds(key: string, version: number, ids: readonly string[]) {
          if (!seen || seen.dropped || held.get(customerId) !== seen) return;
          const bytes = pageBytes(key, ids);
          const old = seen.pages.get(key);
          if (total - (old?.bytes ?? 0) + bytes > maxBytes) return;
          const replaced = old ? key : seen.pages.size >= PAGES_KEPT ? seen.pages.keys().next().value : undefined;
          if (replaced !== undefined) {
            const gone = seen.pages.get(replaced)!.bytes;
            seen.pages.delete(replaced);
            seen.bytes -= gone;
            total -= gone;
          }
          seen.pages.set(key, { version, ids, bytes });
          seen.bytes += bytes;
          total += bytes;
        },
      };
    },
    /** Drops a customer's opened records (to the garbage collector): their account is deleted, or a record of theirs is. */
    forget(customerId: string) {
      const h = held.get(customerId);
      if (h) drop(customerId, h);
    },
    /** Bytes kept, and customers they are kept for: for tests and the bounds. */
    bytes: () => total,
    customers: () => held.size,
    stop: () => clearInterval(timer),
  };
}

export type RecordTails = ReturnType<typeof createRecordTails>;
/** What is kept of one customer's, as a read sees it. */
export type CustomerTails = ReturnType<RecordTails['of']>;
