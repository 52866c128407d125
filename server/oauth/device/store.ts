import { eq } from 'drizzle-orm';
import type { Backend } from '../../db/backend.ts';
import { rawStatement } from '../../db/raw.ts';
import type { deviceCodes as deviceCodesTable } from '../../db/schema.ts';

export type DeviceCodeRow = typeof deviceCodesTable.$inferSelect;

/** The device and user codes of device requests (RFC 8628), by hash; the request itself is an auth_requests row. */
export function createDeviceStore(b: Backend) {
  const { deviceCodes } = b.t;
  // In batches, by SQLite's rowid or PostgreSQL's ctid (neither has DELETE … LIMIT).
  const purge = rawStatement(b, {
    sqlite: 'DELETE FROM device_codes WHERE rowid IN (SELECT rowid FROM device_codes WHERE expires_at < ? LIMIT 5000)',
    postgres: 'DELETE FROM device_codes WHERE ctid IN (SELECT ctid FROM device_codes WHERE expires_at < ? LIMIT 5000)',
  });
  return {
    insert: async (row: typeof deviceCodesTable.$inferInsert) => {
      await b.q().insert(deviceCodes).values(row);
    },
    byDeviceCode: async (hash: string): Promise<DeviceCodeRow | undefined> =>
      (await b.q().select().from(deviceCodes).where(eq(deviceCodes.deviceCodeHash, hash)).limit(1))[0],
    byUserCode: async (hash: string): Promise<DeviceCodeRow | undefined> =>
      (await b.q().select().from(deviceCodes).where(eq(deviceCodes.userCodeHash, hash)).limit(1))[0],
    update: async (requestId: string, set: Partial<typeof deviceCodesTable.$inferInsert>) => {
      await b.q().update(deviceCodes).set(set).where(eq(deviceCodes.requestId, requestId));
    },
    /** The sweep: codes that ended before `cutoff` (an expiry index, batches as in oauth/purge.ts). */
    purgeBefore: async (cutoff: string) => purge.run(cutoff),
  };
}

export type DeviceStore = ReturnType<typeof createDeviceStore>;
