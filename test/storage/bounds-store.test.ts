import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRefusalLimit, REFUSAL_WINDOW_MS, REFUSALS_PER_WINDOW } from '../../server/data/refusal-limit.ts';
import { createRequestBudgets } from '../../server/http/request-budget.ts';
import { TooManyRequests } from '../../server/http/errors.ts';
import { Backends, DIALECTS } from '../support/backends.ts';

/** The request budgets and the refusal limit (SECURITY.md "Floods and bounds"), one contract on both back ends. */
const backends = new Backends();
beforeAll(() => backends.open(), 60_000);
afterAll(() => backends.close());

// A time past 2^31 ms (window_end is bigint on PostgreSQL), at the start of a minute.
const T0 = Date.UTC(2026, 0, 1);

describe.each(DIALECTS)('the bound stores, on %s', (name) => {
  it('when a budget is spent, then the next take is a 429 and changes nothing, and the purge drops the ended window', async () => {
    let now = T0;
    const budgets = createRequestBudgets(backends.get(name), { now: () => new Date(now) });
    const budget = { limit: 3, windowSeconds: 60 };
    for (let i = 0; i < 3; i++) await budgets.take(`k-${name}`, budget, 'tries');
    await expect(budgets.take(`k-${name}`, budget, 'tries')).rejects.toBeInstanceOf(TooManyRequests);
    await expect(budgets.take(`k-${name}`, budget, 'tries')).rejects.toBeInstanceOf(TooManyRequests);
    // Another key has its own count.
    await budgets.take(`other-${name}`, budget, 'tries');
    now += 60_000;
    // The new window starts afresh; the two ended ones go.
    await budgets.take(`k-${name}`, budget, 'tries');
    expect(await budgets.purgeEnded()).toBe(2);
    expect(await budgets.purgeEnded()).toBe(0);
  });

  it('when a company reaches the refusal limit, then it is over, the first 429 once per window, and old windows go', async () => {
    const limit = createRefusalLimit(backends.get(name));
    const company = `co-${name}`;
    const t = new Date(T0 + 10_000);
    for (let i = 0; i < REFUSALS_PER_WINDOW - 1; i++) await limit.record(company, t);
    expect(await limit.check(company, t)).toEqual({ over: false });
    await limit.record(company, t);
    const first = await limit.check(company, t);
    expect(first).toMatchObject({ over: true, first: true, retryAfterSeconds: 50 });
    expect(await limit.check(company, t)).toMatchObject({ over: true, first: false });
    // The next window: the company's first refusal there drops its old window.
    const next = new Date(T0 + REFUSAL_WINDOW_MS + 1);
    expect(await limit.check(company, next)).toEqual({ over: false });
    await limit.record(`idle-${name}`, t);
    await limit.record(company, next);
    // Only the idle company's ended window is left for the sweep.
    expect(await limit.purgeEnded(next)).toBe(1);
    expect(await limit.purgeEnded(next)).toBe(0);
    expect(await limit.check(company, next)).toEqual({ over: false });
  });
});
