import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from 'express-rate-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../server/db/connection.ts';
import { migratePostgres } from '../../server/db/pg/migrate.ts';
import {
  createPgLeases,
  createPgRateCounters,
  createPgReplayStore,
  createSharedPool,
} from '../../server/db/shared/postgres.ts';
import {
  createSqliteLeases,
  createSqliteRateCounters,
  createSqliteReplayStore,
} from '../../server/db/shared/sqlite.ts';
import type { Leases, RateCounters, ReplayStore } from '../../server/db/shared/types.ts';
import { counterStores } from '../../server/http/rate-store.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { TestClock } from '../support/vault.ts';

/**
 * The storage contract of the state several vault servers share (ARCHITECTURE.md, "State shared between
 * servers"), run against every back end, as Ory Hydra runs one manager suite against every store. Each test
 * opens two "servers" on one database: two connections (SQLite) or two pools (PostgreSQL).
 */
interface Server {
  leases: Leases;
  replay: ReplayStore;
  counters: RateCounters;
}
interface Backend {
  name: string;
  /** A fresh, migrated database and two servers on it. */
  open(): Promise<[Server, Server]>;
}

const closers: (() => unknown)[] = [];
let cluster: PostgresCluster | undefined;
let databases = 0;

const sqlite: Backend = {
  name: 'SQLite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'vault-shared-'));
    const file = join(dir, 'vault.db');
    const first = openDatabase(file);
    migrateDatabase(first);
    const second = openDatabase(file);
    closers.push(() => {
      first.$client.close();
      second.$client.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return [first, second].map((db) => ({
      leases: createSqliteLeases(db),
      replay: createSqliteReplayStore(db),
      counters: createSqliteRateCounters(db),
    })) as [Server, Server];
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  async open() {
    cluster ??= await startPostgres();
    const url = await cluster.createDatabase(`shared_${++databases}`);
    await migratePostgres(url);
    const pools = [createSharedPool(url), createSharedPool(url)];
    closers.push(() => Promise.all(pools.map((p) => p.end())));
    return pools.map((pool) => ({
      leases: createPgLeases(pool),
      replay: createPgReplayStore(pool),
      counters: createPgRateCounters(pool),
    })) as [Server, Server];
  },
};

afterAll(async () => {
  for (const close of closers) await close();
  cluster?.stop();
});

const T0 = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe.each([sqlite, postgres])('shared state on $name', (backend) => {
  let a: Server;
  let b: Server;
  beforeAll(async () => {
    [a, b] = await backend.open();
  }, 120_000);

  describe('leases', () => {
    it('when one server holds a lease, then another cannot take it until it expires, and the holder renews it', async () => {
      expect(await a.leases.tryAcquire('l1', 'A', 1000, at(0))).toBe(true);
      expect(await b.leases.tryAcquire('l1', 'B', 1000, at(500))).toBe(false);
      expect(await a.leases.tryAcquire('l1', 'A', 1000, at(900))).toBe(true); // renewed to 1900
      expect(await b.leases.tryAcquire('l1', 'B', 1000, at(1899))).toBe(false);
      expect(await b.leases.tryAcquire('l1', 'B', 1000, at(1900))).toBe(true); // expired: taken over
      expect(await a.leases.tryAcquire('l1', 'A', 1000, at(1901))).toBe(false);
    });

    it('when the holder releases, then another takes it at once; a release by another server frees nothing', async () => {
      expect(await a.leases.tryAcquire('l2', 'A', 60_000, at(0))).toBe(true);
      await b.leases.release('l2', 'B');
      expect(await b.leases.tryAcquire('l2', 'B', 60_000, at(1))).toBe(false);
      await a.leases.release('l2', 'A');
      expect(await b.leases.tryAcquire('l2', 'B', 60_000, at(2))).toBe(true);
    });

    it('when many servers race for a free lease, then exactly one gets it', async () => {
      const tries = Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).leases.tryAcquire('l3', `S${i}`, 60_000, at(0)),
      );
      expect((await Promise.all(tries)).filter(Boolean)).toHaveLength(1);
    });
  });

  describe('replay store', () => {
    it('when a jti is used twice, on either server, then only the first use passes; kinds are separate', async () => {
      const exp = at(60_000).toISOString();
      expect(await a.replay.firstUse('dpop', 'k1:j1', exp)).toBe(true);
      expect(await b.replay.firstUse('dpop', 'k1:j1', exp)).toBe(false);
      expect(await a.replay.firstUse('dpop', 'k1:j1', exp)).toBe(false);
      expect(await b.replay.firstUse('client-assertion', 'k1:j1', exp)).toBe(true);
    });

    it('when many servers race on one jti, then exactly one use passes', async () => {
      const exp = at(60_000).toISOString();
      const uses = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).replay.firstUse('dpop', 'race', exp));
      expect((await Promise.all(uses)).filter(Boolean)).toHaveLength(1);
    });

    it('when the purge runs, then expired ids are forgotten and live ones still refuse a replay', async () => {
      expect(await a.replay.firstUse('dpop', 'old', at(1000).toISOString())).toBe(true);
      expect(await a.replay.firstUse('dpop', 'live', at(5000).toISOString())).toBe(true);
      expect(await b.replay.purgeExpired(at(2000).toISOString())).toBeGreaterThanOrEqual(1);
      expect(await a.replay.firstUse('dpop', 'live', at(5000).toISOString())).toBe(false);
      expect(await a.replay.firstUse('dpop', 'old', at(1000).toISOString())).toBe(true);
    });
  });

  describe('rate-limit counters (the express-rate-limit store)', () => {
    const clock = new TestClock(Date.parse('2026-12-01T10:00:00Z'));
    const storeOf = (s: Server, id: string): Store => {
      const store = counterStores(s.counters, clock)(id);
      void store.init?.({ windowMs: 60_000 } as never);
      return store;
    };

    it('when both servers count one key, then they share one fixed window that resets at its end', async () => {
      const [sa, sb] = [storeOf(a, 'login'), storeOf(b, 'login')];
      expect(await sa.increment('k')).toEqual({ totalHits: 1, resetTime: new Date('2026-12-01T10:01:00Z') });
      expect((await sb.increment('k')).totalHits).toBe(2);
      expect((await sa.get!('k'))?.totalHits).toBe(2);
      await sb.decrement('k');
      expect((await sa.get!('k'))?.totalHits).toBe(1);
      clock.advance(60_000);
      expect(await sb.increment('k')).toEqual({ totalHits: 1, resetTime: new Date('2026-12-01T10:02:00Z') });
      await sa.resetKey('k');
      expect((await sb.get!('k'))?.totalHits).toBe(0);
    });

    it('when two limiters count the same key, then their counts stay apart', async () => {
      await storeOf(a, 'x').increment('same');
      await storeOf(a, 'x').increment('same');
      expect((await storeOf(b, 'y').increment('same')).totalHits).toBe(1);
    });

    it('when many requests hit at once on both servers, then no hit is lost', async () => {
      const [sa, sb] = [storeOf(a, 'burst'), storeOf(b, 'burst')];
      const hits = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? sa : sb).increment('k')));
      expect(hits.map((h) => h.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('when a decrement comes for an empty window, then the count stays at zero', async () => {
      const s = storeOf(a, 'empty');
      await s.decrement('k');
      expect((await s.get!('k'))?.totalHits).toBe(0);
      expect((await s.increment('k')).totalHits).toBe(1);
    });

    it('when the purge runs, then windows that started before the cut-off are gone and current ones stay', async () => {
      const s = storeOf(a, 'purge');
      await s.increment('old');
      clock.advance(60_000);
      await s.increment('new');
      expect(await b.counters.purgeBefore(clock.now().getTime())).toBeGreaterThanOrEqual(1);
      expect((await s.get!('new'))?.totalHits).toBe(1);
      clock.advance(-60_000);
      expect((await s.get!('old'))?.totalHits).toBe(0);
      clock.advance(60_000);
    });
  });
});
