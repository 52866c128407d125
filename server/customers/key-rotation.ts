import { inTransaction, type Db } from '../db/connection.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { createCustomerStore } from './store.ts';

export interface RotationResult {
  newKekId: string;
  rewrapped: number;
  retired: string[];
}

/**
 * KEK rotation without downtime (ARCHITECTURE.md, "The encrypted profile"): add a new KEK and make it active (a running server picks
 * it up on its next wrap, because it re-reads the keyring when the file changes), rewrap every DEK in
 * small transactions, repeat until none is wrapped by an old KEK, then drop the old KEKs. Each update is
 * conditional on the old kek id, so a concurrent writer is never overwritten.
 */
export async function rotateKeks(
  db: Db,
  keyring: Keyring,
  onProgress?: (done: number, total: number) => void,
  batch = 200,
): Promise<RotationResult> {
  const store = createCustomerStore(db);
  const newKekId = keyring.addKek();
  // Let a running server notice the new keyring before the final sweep.
  await new Promise((r) => setTimeout(r, 50));
  let rewrapped = 0;
  for (let pass = 0; pass < 5; pass++) {
    const stale = store.allWrappedDeks().filter((c) => c.kekId !== newKekId);
    if (stale.length === 0) break;
    const total = rewrapped + stale.length;
    for (let i = 0; i < stale.length; i += batch) {
      const slice = stale.slice(i, i + batch);
      inTransaction(db, () => {
        for (const c of slice) {
          const dek = keyring.unwrapDek(c.id, { kekId: c.kekId, wrapped: c.wrappedDek });
          const w = keyring.wrapDek(c.id, dek);
          dek.fill(0);
          rewrapped += store.rewrapDek(c.id, c.kekId, w.kekId, w.wrapped).changes;
        }
      });
      onProgress?.(Math.min(rewrapped, total), total);
      await new Promise((r) => setImmediate(r));
    }
  }
  if (store.allWrappedDeks().some((c) => c.kekId !== newKekId))
    throw new Error('some data keys are still wrapped by an old KEK; run keys rotate again');
  return { newKekId, rewrapped, retired: keyring.retireAllButActive() };
}
