import type { PagePiece } from './record-page.ts';
import type { SharedRow } from './record-store.ts';

/**
 * Opened records kept for the cross-company read (ARCHITECTURE.md, "Speed: what we design with"; SECURITY.md
 * "Keys"): a record's sealed content never changes once deposited (hiding and deleting touch its row, a key
 * rotation re-seals the same bytes), so what opening it gives the page (when it happened, and its tail from the
 * digest on) can be kept and reused, with the row's columns (none of which changes either), and the page is still
 * decided by the database on every read: which records, hidden or not, deleted or not, in which order. Only the
 * opening is saved, and fetching the rows.
 *
 * A customer's opened records are kept with the data key that opened them and only while that key is the one
 * `dekOf` gives (a rewrap or a deletion drops them at the next read), at most TAILS_TTL_MS after the first was
 * kept, and in at most TAILS_MAX_BYTES for the whole process, oldest customer dropped first. A dropped customer's
 * records go to the garbage collector, like any decrypted value (SECURITY.md "What the vault does not defend"). An account deletion drops them at once (`forget`); the timer drops expired ones when no read
 * comes.
 */
export const TAILS_TTL_MS = 10 * 60_000;
export const TAILS_MAX_BYTES = 64 * 1024 * 1024;
const SWEEP_MS = 60_000;

/**
 * One record as the page needs it: what the page says of it besides its content (its row's columns, none of which
 * changes once deposited), when it happened (from its sealed content, if it says) and its page piece.
 */
export interface OpenedRecord {
  row: SharedRow;
  time: string | null;
  piece: PagePiece;
}

interface Held {
  dek: Uint8Array;
  at: number;
  bytes: number;
  tails: Map<string, OpenedRecord>;
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
     * were opened with that very key and are fresh, else a new empty set.
     */
    of(customerId: string, dek: Uint8Array) {
      const t = now();
      dropExpired(t);
      let h = held.get(customerId);
      if (h && h.dek !== dek) drop(customerId, h);
      h = held.get(customerId);
      if (!h) held.set(customerId, (h = { dek, at: t, bytes: 0, tails: new Map(), dropped: false }));
      const mine = h;
      return {
        get: (recordId: string) => mine.tails.get(recordId),
        /** Whether nothing of the customer's is kept (a read then fetches its page with the content at once). */
        empty: () => mine.tails.size === 0,
        /** Whether anything can be kept at all (VAULT_RECORDS_KEPT_MIB=0 keeps nothing: a read makes no pieces). */
        keeps: maxBytes > 0,
        /** Keeps the row's opened record (its piece made by record-page.ts), and returns it (kept or not). */
        put(row: SharedRow, time: string | null, piece: PagePiece): OpenedRecord {
          // The row's own columns only: a fetched row carries its sealed blob too, which is not kept.
          const { id, companyId, category, createdAt, deviceId } = row;
          const opened = { row: { id, companyId, category, createdAt, deviceId }, time, piece };
          const size = opened.piece.bytes.length;
          if (mine.dropped || size > maxBytes || mine.tails.has(row.id)) return opened;
          // Never this customer's own: the read holds tails of theirs it has not yet written into its page.
          for (const [other, o] of held) {
            if (total + size <= maxBytes) break;
            if (o !== mine) drop(other, o);
          }
          if (total + size > maxBytes) return opened;
          mine.tails.set(row.id, opened);
          mine.bytes += size;
          total += size;
          return opened;
        },
      };
    },
    /** Drops (and zeroes) a customer's opened records: their account is deleted, or a record of theirs is. */
    forget(customerId: string) {
      const h = held.get(customerId);
      if (h) drop(customerId, h);
    },
    /** Bytes kept, for tests and the bounds. */
    bytes: () => total,
    stop: () => clearInterval(timer),
  };
}

export type RecordTails = ReturnType<typeof createRecordTails>;
