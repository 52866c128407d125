import { describe, expect, it } from 'vitest';
import { merge } from './pg-read.ts';

describe('the two-server PostgreSQL read figures', () => {
  it('when two runs at once are merged, then rates add up, latencies take the worse, CPU is per request of both', () => {
    const a = {
      reqPerSec: 300,
      p50Ms: 80,
      p99Ms: 200,
      serverCpuUsPerReq: 1000,
      loopCpuUsPerReq: 900,
      // The client and the database are shared: each run divides the whole CPU by its own requests only.
      clientCpuUsPerReq: 100,
      dbCpuUsPerReq: 600,
      non2xx: 0,
      errors: 1,
    };
    const b = {
      ...a,
      reqPerSec: 100,
      p50Ms: 90,
      p99Ms: 150,
      serverCpuUsPerReq: 2000,
      clientCpuUsPerReq: 300,
      dbCpuUsPerReq: 1800,
      non2xx: 2,
    };
    expect(merge(a, b)).toEqual({
      reqPerSec: 400,
      p50Ms: 90,
      p99Ms: 200,
      serverCpuUsPerReq: 1250,
      loopCpuUsPerReq: 900,
      clientCpuUsPerReq: 75,
      dbCpuUsPerReq: 450,
      non2xx: 2,
      errors: 2,
    });
  });
});
