import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ON_POSTGRES } from '../support/test-database.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

// Both passes of .ci/run run this file: it fails if a pass ran on another back end than it says.
describe('the back end the suite runs on', () => {
  let v: RunningVault;
  beforeAll(async () => {
    v = await startVault();
  });
  afterAll(() => v.close());

  it('when the suite runs, then the vault it starts stores on the back end the pass names', async () => {
    expect(v.ctx.storage.dialect).toBe(ON_POSTGRES ? 'postgres' : 'sqlite');
    expect(v.ctx.backend.dialect).toBe(v.ctx.storage.dialect);
    const ready = (await (await fetch(`${v.url}/readyz`)).json()) as { database: boolean };
    expect(ready.database).toBe(true);
  });
});
