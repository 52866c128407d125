import { describe, expect, it } from 'vitest';
import { benchExport, benchVerify } from './audit.ts';

describe('the audit bench', () => {
  it('when run small in this process, then the export verifies complete with every event and figures are reported', async () => {
    const exp = await benchExport(500, { isolate: false });
    try {
      expect(exp).toMatchObject({ events: 500 });
      expect(exp.eventsPerSecond).toBeGreaterThan(0);
      expect(exp.peakRssMb).toBeGreaterThanOrEqual(exp.baselineRssMb);
      const ver = await benchVerify(exp.file, undefined, { isolate: false });
      expect(ver).toMatchObject({ ok: true, events: 500, detail: 'complete=true' });
    } finally {
      await exp.cleanup();
    }
  });
});
