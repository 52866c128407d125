import type { Backend } from '../db/backend.ts';
import { rawStatement } from '../db/raw.ts';

const BATCH = 5_000;

/**
 * Deletes what has expired from the customers/ tables: sessions past their end (already refused when
 * presented), and inbox messages that only point at something with an end of its own (a request waiting
 * for consent) once that has certainly ended: `kinds` maps such a message kind to that longest life.
 */
export function createCustomerPurge(b: Backend, kinds: Record<string, number>) {
  // A batch at a time by row: SQLite's rowid; PostgreSQL has no rowid, so each table's primary key.
  const sessions = rawStatement(b, {
    sqlite: `DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at < ? LIMIT ${BATCH})`,
    postgres: `DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE expires_at < ? LIMIT ${BATCH})`,
  });
  const messages = rawStatement(b, {
    sqlite: `DELETE FROM inbox WHERE rowid IN (SELECT rowid FROM inbox WHERE kind = ? AND created_at < ? LIMIT ${BATCH})`,
    postgres: `DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE kind = ? AND created_at < ? LIMIT ${BATCH})`,
  });
  return async (now: Date): Promise<Record<string, number>> => {
    let inbox = 0;
    for (const [kind, lifeSeconds] of Object.entries(kinds))
      inbox += await messages.run(kind, new Date(now.getTime() - lifeSeconds * 1000).toISOString());
    return { sessions: await sessions.run(now.toISOString()), inbox };
  };
}
