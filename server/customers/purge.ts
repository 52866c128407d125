import type { Db } from '../db/connection.ts';

const BATCH = 5_000;

/**
 * Deletes what has expired from the customers/ tables: sessions past their end (already refused when
 * presented), and inbox messages that only point at something with an end of its own (a request waiting
 * for consent) once that has certainly ended: `kinds` maps such a message kind to that longest life.
 */
export function createCustomerPurge(db: Db, kinds: Record<string, number>) {
  const sessions = db.$client.prepare(
    `DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at < ? LIMIT ${BATCH})`,
  );
  const messages = db.$client.prepare(
    `DELETE FROM inbox WHERE rowid IN (SELECT rowid FROM inbox WHERE kind = ? AND created_at < ? LIMIT ${BATCH})`,
  );
  return async (now: Date): Promise<Record<string, number>> => {
    let inbox = 0;
    for (const [kind, lifeSeconds] of Object.entries(kinds))
      inbox += messages.run(kind, new Date(now.getTime() - lifeSeconds * 1000).toISOString()).changes;
    return { sessions: sessions.run(now.toISOString()).changes, inbox };
  };
}
