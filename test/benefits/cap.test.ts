import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BENEFITS_PER_GRANT } from '../../server/benefits/service.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { managementToken, recordBenefit } from './support.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

describe('the benefit ledger is bounded (SECURITY.md "The benefit ledger")', () => {
  it(`when a grant holds ${MAX_BENEFITS_PER_GRANT} entries, then the next one is refused with 409 and not stored`, async () => {
    const alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
    const shop = await registerCompany(v);
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    const token = await managementToken(v, shop);
    const first = await recordBenefit(v, token, { grant_id: t.grant_id, key: 'k-0', kind: 'service' });
    expect(first.status).toBe(201);
    // The rest of the ledger is written directly: a thousand requests would only slow the test down.
    const { q, t: tables } = v.ctx.backend;
    const row = (await q().select().from(tables.benefits)).find((b) => b.id === first.body.id)!;
    const rest = Array.from({ length: MAX_BENEFITS_PER_GRANT - 1 }, (_, i) => ({
      ...row,
      id: randomUUID(),
      keyHash: `fill-${i}`,
    }));
    for (let i = 0; i < rest.length; i += 100)
      await q()
        .insert(tables.benefits)
        .values(rest.slice(i, i + 100));

    const over = await recordBenefit(v, token, { grant_id: t.grant_id, key: 'k-over', kind: 'service' });
    expect(over.status).toBe(409);
    expect(over.type).toMatch(/application\/problem\+json/);
    expect((await q().select().from(tables.benefits)).filter((b) => b.grantId === t.grant_id)).toHaveLength(
      MAX_BENEFITS_PER_GRANT,
    );
    // A repeated key still answers its first entry.
    expect((await recordBenefit(v, token, { grant_id: t.grant_id, key: 'k-0', kind: 'service' })).status).toBe(200);
  });
});
