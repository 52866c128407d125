import { eq } from 'drizzle-orm';
import type { Db } from '../../db/connection.ts';
import { deviceCodes } from '../../db/schema.ts';

export type DeviceCodeRow = typeof deviceCodes.$inferSelect;

/** The device and user codes of device requests (RFC 8628), by hash; the request itself is an auth_requests row. */
export function createDeviceStore(db: Db) {
  const purge = db.$client.prepare(
    'DELETE FROM device_codes WHERE rowid IN (SELECT rowid FROM device_codes WHERE expires_at < @cutoff LIMIT 5000)',
  );
  return {
    insert: async (row: typeof deviceCodes.$inferInsert) => db.insert(deviceCodes).values(row).run(),
    byDeviceCode: async (hash: string) =>
      db.select().from(deviceCodes).where(eq(deviceCodes.deviceCodeHash, hash)).get(),
    byUserCode: async (hash: string) => db.select().from(deviceCodes).where(eq(deviceCodes.userCodeHash, hash)).get(),
    update: async (requestId: string, set: Partial<typeof deviceCodes.$inferInsert>) =>
      db.update(deviceCodes).set(set).where(eq(deviceCodes.requestId, requestId)).run(),
    /** The sweep: codes that ended before `cutoff` (an expiry index, batches as in oauth/purge.ts). */
    purgeBefore: async (cutoff: string) => purge.run({ cutoff }).changes,
  };
}

export type DeviceStore = ReturnType<typeof createDeviceStore>;
