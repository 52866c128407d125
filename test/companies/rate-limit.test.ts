import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicMetadata, startCompanies, type CompaniesHarness } from './support.ts';

let h: CompaniesHarness;
beforeAll(async () => {
  h = await startCompanies();
});
afterAll(async () => h.close());

describe('registration endpoint rate limit', () => {
  it('when one address keeps failing, then it gets 429 with Retry-After, while successes never counted', async () => {
    expect((await h.register(basicMetadata())).status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++)
      statuses.push((await h.call('GET', '/register/unknown-client', { bearer: 'guess-' + i })).status);
    expect(statuses.slice(0, 100).every((s) => s === 401)).toBe(true);
    expect(statuses[100]).toBe(429);
    const limited = await h.register(basicMetadata());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
  });
});
