import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTerms, registerCompany, REDIRECT, updateTerms } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

describe('terms versions read inside a terms change that rolls back', () => {
  let v: RunningVault;
  beforeAll(async () => {
    v = await startVault();
  });
  afterAll(() => v.close());

  it('when a terms change fails after its hooks read the new version, then that version is not remembered', async () => {
    const company = await registerCompany(v, { name: 'Rollback Foods' });
    const companies = v.vault.services.companies;
    // A hook that reads the new version (as the re-evaluation of live grants does) and then fails.
    const failing = async (id: string, version: number) => {
      await companies.termsAt(id, version);
      throw new Error('a hook failed after reading the new terms');
    };
    companies.hooks.onTermsChanged.push(failing);
    const res = await fetch(`${v.url}/register/${company.clientId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${company.registrationAccessToken}` },
      body: JSON.stringify({
        client_id: company.clientId,
        client_name: 'Rollback Foods',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        terms: { ...defaultTerms, retentionDays: 365 },
      }),
    });
    expect(res.status).toBe(500);
    companies.hooks.onTermsChanged.splice(companies.hooks.onTermsChanged.indexOf(failing), 1);
    expect(await companies.termsAt(company.clientId, 2)).toBeUndefined();

    // Version 2 is now written with other terms: every reader sees those, not the rolled-back ones.
    expect(await updateTerms(v, company, 'Rollback Foods', { ...defaultTerms, retentionDays: 30 })).toBe(2);
    expect((await companies.termsAt(company.clientId, 2))?.terms.retentionDays).toBe(30);
  });
});
