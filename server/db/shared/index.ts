import { randomUUID } from 'node:crypto';
import type { Db } from '../connection.ts';
import { createSqliteLeases, createSqliteReplayStore } from './sqlite.ts';
import type { Leases, RateCounters, ReplayStore } from './types.ts';

/**
 * What the servers in front of one database share besides their tables (ARCHITECTURE.md, "State shared
 * between servers"). `instanceId` is random per start: it names this server as a lease holder.
 */
export interface SharedState {
  instanceId: string;
  leases: Leases;
  replay: ReplayStore;
  /** Rate-limit counters every server shares; undefined keeps express-rate-limit's in-memory store. */
  rateCounters?: RateCounters;
}

/**
 * SQLite serves one vault server per file: leases and the replay cache live in it (a restart keeps them),
 * while rate limits stay in memory (a durable write per request would cost a commit for no second reader).
 */
export function createSqliteSharedState(db: Db): SharedState {
  return { instanceId: randomUUID(), leases: createSqliteLeases(db), replay: createSqliteReplayStore(db) };
}
