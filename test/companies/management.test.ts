import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  basicMetadata,
  clientKey,
  jwtMetadata,
  sampleTerms,
  startCompanies,
  type CompaniesHarness,
  type Reply,
} from './support.ts';
import { auditRows, inUnit } from '../support/rows.ts';

let h: CompaniesHarness;
beforeAll(async () => {
  h = await startCompanies();
});
afterAll(async () => h.close());

const pathOf = (r: Reply) => new URL(r.body.registration_client_uri).pathname;
/** What a client sends back in an RFC 7592 §2.2 update: its metadata and client_id, none of the server's members. */
function updateBody(r: Reply, changes: Record<string, unknown> = {}) {
  const {
    registration_access_token: _a,
    registration_client_uri: _b,
    client_secret_expires_at: _c,
    client_id_issued_at: _d,
    client_secret: _e,
    terms_version: _f,
    ...rest
  } = r.body;
  return { ...rest, ...changes };
}
const actions = async (companyId: string) =>
  (await auditRows(h.v)).filter((e) => e.companyId === companyId).map((e) => e.action);

describe('reading a registration (RFC 7592 §2.1)', () => {
  it('when the registration access token is right, then 200 with the current metadata and no-store', async () => {
    const reg = await h.register(basicMetadata());
    const r = await h.call('GET', pathOf(reg), { bearer: reg.body.registration_access_token });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(updateBody(r)).toEqual(updateBody(reg));
  });

  it('when the token is wrong, missing, or belongs to another client, or the client is unknown, then the same 401', async () => {
    const a = await h.register(basicMetadata());
    const b = await h.register(basicMetadata());
    const replies = [
      await h.call('GET', pathOf(a), { bearer: 'wrong-token-wrong-token-wrong-token-wrong-tok' }),
      await h.call('GET', pathOf(a)),
      await h.call('GET', pathOf(a), { bearer: b.body.registration_access_token }),
      await h.call('GET', '/register/00000000-0000-0000-0000-000000000000', {
        bearer: a.body.registration_access_token,
      }),
    ];
    for (const r of replies) {
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_token');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    expect(new Set(replies.map((r) => r.body.detail)).size).toBe(1);
  });
});

describe('updating a registration (RFC 7592 §2.2)', () => {
  it('when the terms change, then version 2 is created, audited, the hook fires in the transaction, and version 1 is kept', async () => {
    const reg = await h.register(basicMetadata());
    const id = reg.body.client_id;
    const seen: Array<[string, number, boolean]> = [];
    const hook = (companyId: string, version: number) => {
      seen.push([companyId, version, inUnit(h.v)]);
    };
    h.companies.hooks.onTermsChanged.push(hook);
    try {
      const newTerms = { ...sampleTerms, retentionDays: 30, purposes: ['order-fulfilment', 'product-recommendations'] };
      const r = await h.call('PUT', pathOf(reg), {
        bearer: reg.body.registration_access_token,
        body: updateBody(reg, { terms: newTerms }),
      });
      expect(r.status).toBe(200);
      expect(r.body.terms_version).toBe(2);
      expect(r.body.terms.retentionDays).toBe(30);
      expect(seen).toEqual([[id, 2, true]]);
      expect(await h.companies.currentTerms(id)).toMatchObject({ version: 2, terms: { retentionDays: 30 } });
      expect(await h.companies.termsAt(id, 1)).toMatchObject({ version: 1, terms: { retentionDays: 90 } });
      expect((await h.companies.byId(id))!.termsVersion).toBe(2);
      expect(await actions(id)).toEqual(['company.registered', 'company.terms-changed']);
    } finally {
      h.companies.hooks.onTermsChanged.splice(h.companies.hooks.onTermsChanged.indexOf(hook), 1);
    }
  });

  it('when other metadata changes but the terms do not, then the terms version stays and no hook fires', async () => {
    const reg = await h.register(basicMetadata());
    let fired = 0;
    const hook = () => void fired++;
    h.companies.hooks.onTermsChanged.push(hook);
    try {
      const r = await h.call('PUT', pathOf(reg), {
        bearer: reg.body.registration_access_token,
        body: updateBody(reg, { client_name: 'Acme Two', redirect_uris: ['https://acme.example/cb2'] }),
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        client_name: 'Acme Two',
        redirect_uris: ['https://acme.example/cb2'],
        terms_version: 1,
      });
      expect(r.body.client_secret).toBeUndefined();
      expect(fired).toBe(0);
      expect((await h.companies.byId(reg.body.client_id))!.redirectUris).toEqual(['https://acme.example/cb2']);
    } finally {
      h.companies.hooks.onTermsChanged.splice(h.companies.hooks.onTermsChanged.indexOf(hook), 1);
    }
  });

  it('when a terms-changed hook throws, then the update is rolled back entirely', async () => {
    const reg = await h.register(basicMetadata());
    const hook = () => {
      throw new Error('policy re-evaluation failed');
    };
    h.companies.hooks.onTermsChanged.push(hook);
    try {
      const r = await h.call('PUT', pathOf(reg), {
        bearer: reg.body.registration_access_token,
        body: updateBody(reg, { client_name: 'Changed', terms: { ...sampleTerms, retentionDays: 1 } }),
      });
      expect(r.status).toBe(500);
    } finally {
      h.companies.hooks.onTermsChanged.splice(h.companies.hooks.onTermsChanged.indexOf(hook), 1);
    }
    const c = (await h.companies.byId(reg.body.client_id))!;
    expect([c.name, c.termsVersion]).toEqual([reg.body.client_name, 1]);
    expect(await h.companies.termsAt(reg.body.client_id, 2)).toBeUndefined();
    expect(await actions(reg.body.client_id)).toEqual(['company.registered']);
  });

  it.each<[string, (r: Reply) => Record<string, unknown>]>([
    [
      'client_id is missing',
      (r) => {
        const { client_id: _, ...b } = updateBody(r);
        return b;
      },
    ],
    ['client_id names another client', (r) => updateBody(r, { client_id: '00000000-0000-0000-0000-000000000000' })],
    [
      'registration_access_token is sent back',
      (r) => updateBody(r, { registration_access_token: r.body.registration_access_token }),
    ],
    ['client_id_issued_at is sent back', (r) => updateBody(r, { client_id_issued_at: 1 })],
    ['client_secret does not match', (r) => updateBody(r, { client_secret: 'not-the-secret' })],
    ['the terms are invalid', (r) => updateBody(r, { terms: { purposes: [] } })],
  ])('when %s, then 400 invalid_client_metadata and nothing changes', async (_why, body) => {
    const reg = await h.register(basicMetadata());
    const r = await h.call('PUT', pathOf(reg), { bearer: reg.body.registration_access_token, body: body(reg) });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect((await h.companies.byId(reg.body.client_id))!.termsVersion).toBe(1);
  });

  it('when the client_secret is sent back and matches, then the update is accepted', async () => {
    const reg = await h.register(basicMetadata());
    const r = await h.call('PUT', pathOf(reg), {
      bearer: reg.body.registration_access_token,
      body: updateBody(reg, { client_secret: reg.body.client_secret }),
    });
    expect(r.status).toBe(200);
  });

  it('when a redirect URI is made insecure, then 400 invalid_redirect_uri', async () => {
    const reg = await h.register(basicMetadata());
    const r = await h.call('PUT', pathOf(reg), {
      bearer: reg.body.registration_access_token,
      body: updateBody(reg, { redirect_uris: ['http://acme.example/cb'] }),
    });
    expect(r.body.error).toBe('invalid_redirect_uri');
  });

  it('when the registration token is wrong, then 401 before the body is even looked at', async () => {
    const reg = await h.register(basicMetadata());
    const r = await h.call('PUT', pathOf(reg), {
      bearer: 'nope-nope-nope-nope-nope-nope-nope-nope-nop',
      body: { junk: true },
    });
    expect(r.status).toBe(401);
  });

  it('when a client switches from private_key_jwt to client_secret_basic, then a new secret is shown once and works', async () => {
    const reg = await h.register(jwtMetadata([await clientKey('EdDSA')]));
    const { jwks: _, ...rest } = updateBody(reg, { token_endpoint_auth_method: 'client_secret_basic' });
    const r = await h.call('PUT', pathOf(reg), { bearer: reg.body.registration_access_token, body: rest });
    expect(r.status).toBe(200);
    expect(r.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const c = await h.companies.authenticateClient({
      authorization: basicAuth(reg.body.client_id, r.body.client_secret),
      body: {},
      endpoint: '/token',
    });
    expect(c.authMethod).toBe('client_secret_basic');
  });
});

describe('deregistering (RFC 7592 §2.3) and disabling', () => {
  it('when a company deletes its registration, then 204, it is disabled, audited, and its token no longer works', async () => {
    const reg = await h.register(basicMetadata());
    const seen: Array<[string, string]> = [];
    const hook = (id: string, actor: { kind: string }) => void seen.push([id, actor.kind]);
    h.companies.hooks.onDisabled.push(hook);
    try {
      const r = await h.call('DELETE', pathOf(reg), { bearer: reg.body.registration_access_token });
      expect(r.status).toBe(204);
    } finally {
      h.companies.hooks.onDisabled.splice(h.companies.hooks.onDisabled.indexOf(hook), 1);
    }
    expect(seen).toEqual([[reg.body.client_id, 'company']]);
    expect((await h.companies.byId(reg.body.client_id))!.status).toBe('disabled');
    expect(await actions(reg.body.client_id)).toEqual(['company.registered', 'company.disabled']);
    expect((await h.call('GET', pathOf(reg), { bearer: reg.body.registration_access_token })).status).toBe(401);
  });

  it('when the operator disables a company twice, then the second is a no-op with no second audit event', async () => {
    const reg = await h.register(basicMetadata());
    expect((await h.companies.disable(reg.body.client_id)).status).toBe('disabled');
    expect((await h.companies.disable(reg.body.client_id)).status).toBe('disabled');
    expect(await actions(reg.body.client_id)).toEqual(['company.registered', 'company.disabled']);
    await expect(h.companies.requireActive(reg.body.client_id)).rejects.toThrow(/unknown or disabled/);
  });

  it('when an unknown company is disabled, then NotFound', async () => {
    await expect(h.companies.disable('nope')).rejects.toThrow(/No company/);
  });
});
