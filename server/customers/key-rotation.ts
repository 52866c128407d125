import type { Backend } from '../db/backend.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { KEY_RELOAD_INTERVAL_MS } from '../crypto/key-reload.ts';
import { createCustomerStore } from './store.ts';

export interface RotationOptions {
  batch?: number;
  /**
   * Waits until every server uses the new KEK for new data keys. Until then a server that has not reloaded
   * still wraps under an old KEK, which the rotation would retire; so the sweep starts only after it.
   */
  settle?: () => Promise<void>;
}

/** Servers look at the key files every KEY_RELOAD_INTERVAL_MS; one more second for the look itself. */
export const DEFAULT_SETTLE_MS = KEY_RELOAD_INTERVAL_MS + 1_000;

export interface RotationResult {
  newKekId: string;
  rewrapped: number;
  retired: string[];
}

/**
 * KEK rotation without downtime (ARCHITECTURE.md, "The encrypted profile"): add a new KEK and make it
 * active, wait until every running server has picked it up (they look at the key file every
 * KEY_RELOAD_INTERVAL_MS, on this host or through shared key files on others), rewrap every DEK in
 * small transactions, repeat until none is wrapped by an old KEK, then drop the old KEKs. Each update is
 * conditional on the old kek id, so a concurrent writer is never overwritten.
 */
export async function rotateKeks(
  b: Backend,
  keyring: Keyring,
  onProgress?: (done: number, total: number) => void,
  opts: RotationOptions = {},
): Promise<RotationResult> {
  const batch = opts.batch ?? 200;
  const settle = opts.settle ?? (() => new Promise<void>((r) => setTimeout(r, DEFAULT_SETTLE_MS)));
  const store = createCustomerStore(b);
  const newKekId = keyring.addKek();
  await settle();
  let rewrapped = 0;
  for (let pass = 0; pass < 5; pass++) {
    const stale = (await store.allWrappedDeks()).filter((c) => c.kekId !== newKekId);
    if (stale.length === 0) break;
    const total = rewrapped + stale.length;
    for (let i = 0; i < stale.length; i += batch) {
      const slice = stale.slice(i, i + batch);
      await b.inTransaction(async () => {
        for (const c of slice) {
          const dek = keyring.unwrapDek(c.id, { kekId: c.kekId, wrapped: c.wrappedDek });
          const w = keyring.wrapDek(c.id, dek);
          dek.fill(0);
          rewrapped += await store.rewrapDek(c.id, c.kekId, w.kekId, w.wrapped);
        }
      });
      onProgress?.(Math.min(rewrapped, total), total);
      await new Promise((r) => setImmediate(r));
    }
  }
  if ((await store.allWrappedDeks()).some((c) => c.kekId !== newKekId))
    throw new Error('some data keys are still wrapped by an old KEK; run keys rotate again');
  return { newKekId, rewrapped, retired: keyring.retireAllButActive() };
}
