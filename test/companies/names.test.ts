import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowsOf } from '../support/rows.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

async function registration(c: RegisteredCompany) {
  const r = await fetch(`${v.url}/register/${c.clientId}`, {
    headers: { authorization: `Bearer ${c.registrationAccessToken}` },
  });
  return r.json();
}

/** RFC 7592 §2.2: the company sends back its registration with a new client_name. */
async function rename(c: RegisteredCompany, name: string) {
  const {
    registration_access_token: _a,
    registration_client_uri: _b,
    client_secret_expires_at: _c,
    client_id_issued_at: _d,
    terms_version: _e,
    ...rest
  } = await registration(c);
  const r = await fetch(`${v.url}/register/${c.clientId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.registrationAccessToken}` },
    body: JSON.stringify({ ...rest, client_name: name }),
  });
  return { status: r.status, body: await r.json() };
}

async function registerNamed(name: string) {
  const iat = await v.vault.services.companies.issueInitialAccessToken('names test');
  const r = await fetch(`${v.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: ['https://names.example/cb'],
      terms: { purposes: ['order-fulfilment'], retentionDays: 30 },
    }),
  });
  return { status: r.status, body: await r.json() };
}

const auditOf = async (companyId: string, action: string) =>
  (
    await rowsOf<{ body: string }>(
      v,
      'select body from audit_events where company_id = ? and action = ? order by seq',
      companyId,
      action,
    )
  ).map((r) => JSON.parse(r.body));

describe('company names refuse invisible and text-direction characters', () => {
  it.each([
    ['a right-to-left override', 'Acme \u202eShop'],
    ['a first-strong isolate', 'Acme \u2068Shop\u2069'],
    ['a zero-width space', 'Ac\u200bme'],
    ['a zero-width joiner', 'Ac\u200dme'],
    ['a byte order mark', 'Ac\ufeffme'],
    ['a soft hyphen', 'Ac\u00adme'],
    ['a no-break space', 'Acme\u00a0Ltd'],
    ['a variation selector', 'Acme\ufe0f'],
    ['a Hangul filler', 'Acme\u3164'],
    ['Latin mixed with Cyrillic', 'Аcme Ltd'],
    ['no letter or digit at all', '!!! ...'],
    ["the platform's own name", 'Consent vault'],
    ["the platform's name with another word", 'Your vault'],
    ['a support desk of the platform', 'Vault support'],
    ["the platform's name in look-alikes", 'VAU1T Services'],
    ['a word the platform uses for itself, alone', 'Support'],
  ])(
    'when a registration carries %s, then 400 invalid_client_metadata and nothing is registered',
    async (_why, name) => {
      const before = (await v.vault.services.companies.list()).length;
      const r = await registerNamed(name);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_client_metadata');
      expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(['client_name']);
      expect((await v.vault.services.companies.list()).length).toBe(before);
    },
  );

  it('when a rename carries a bidi override, then 400 and the name is unchanged', async () => {
    const c = await registerCompany(v, { name: 'Steady Name Ltd' });
    expect((await rename(c, 'Steady \u202eName')).status).toBe(400);
    expect((await v.vault.services.companies.byId(c.clientId))!.name).toBe('Steady Name Ltd');
  });

  it('when a rename takes a name that passes for the platform, then 400 invalid_client_metadata and no change', async () => {
    const c = await registerCompany(v, { name: 'Plain Rename Ltd' });
    const r = await rename(c, 'Consent Vault Support');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect((await v.vault.services.companies.byId(c.clientId))!.name).toBe('Plain Rename Ltd');
  });
});

describe("a company cannot take a look-alike of another company's name", () => {
  it.each([
    ['the same name in capitals', 'GLOBEX TRADING'],
    ['punctuation and spacing', 'Globex-Trading.'],
    ['a digit zero for the letter o', 'Gl0bex Trading'],
    ['a capital I for the letter l', 'GIobex Trading'],
    ['full-width letters', 'Ｇｌｏｂｅｘ Trading'],
    ['accents', 'Glöbex Tràding'],
    ['Latin small capitals', 'Gʟᴏʙᴇx Trading'],
    ['mathematical letters', '𝐆𝐥𝐨𝐛𝐞𝐱 Trading'],
  ])('when a registration uses %s, then 400 invalid_client_metadata', async (_why, name) => {
    if (!(await v.vault.services.companies.list()).some((c) => c.name === 'Globex Trading'))
      expect((await registerNamed('Globex Trading')).status).toBe(201);
    const r = await registerNamed(name);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { path: 'client_name', message: 'looks like the name of another registered company' },
    ]);
  });

  it('when a Cyrillic or Greek spelling imitates a Latin name, then it is refused', async () => {
    expect((await registerNamed('MOCHA')).status).toBe(201);
    expect((await registerNamed('МОСНА')).status).toBe(400); // Cyrillic М О С Н А
    expect((await registerNamed('ΜΟCΗΑ'.replace('C', 'Ϲ'))).status).toBe(400); // Greek, with a lunate sigma
    expect((await registerNamed('Modern Tools')).status).toBe(201);
    expect((await registerNamed('Modem Tools')).status).toBe(400); // "rn" reads as "m"
  });

  it('when an Armenian or Cherokee spelling imitates a Latin name, or mixes with Latin, then it is refused', async () => {
    expect((await registerNamed('Goggle Maps')).status).toBe(201);
    expect((await registerNamed('ᏀᎾᏀᏀᏞᎬ Maps')).status).toBe(400); // Cherokee throughout, but for "Maps"
    expect((await registerNamed('Goggle')).status).toBe(201);
    expect((await registerNamed('ᏀᎾᏀᏀᏞᎬ')).status).toBe(400); // all Cherokee, the look of "Goggle"
    expect((await registerNamed('Zօrba Foods')).status).toBe(400); // an Armenian օ among Latin letters
  });

  it('when a company renames itself into a look-alike of another, then 400, unchanged, and nothing is audited', async () => {
    await registerCompany(v, { name: 'Initech Bank' });
    const c = await registerCompany(v, { name: 'Small Shop' });
    const r = await rename(c, 'lnitech Bank');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect((await v.vault.services.companies.byId(c.clientId))!.name).toBe('Small Shop');
    expect(await auditOf(c.clientId, 'company.renamed')).toEqual([]);
  });

  it('when a company takes a new name, then its old one stays its own: no other company can take it', async () => {
    const c = await registerCompany(v, { name: 'Vandelay Imports' });
    expect((await rename(c, 'Vandelay Industries')).status).toBe(200);
    expect((await registerNamed('Vandelay Imports')).status).toBe(400);
    // ... while the company itself may go back to it.
    expect((await rename(c, 'Vandelay Imports')).status).toBe(200);
  });
});

describe('a rename is audited and past events keep the name the company had then', () => {
  it('when a company renames itself, then the trail records company.renamed with no text, and activity, grants and receipts show the old name for what happened before', async () => {
    const shop = await registerCompany(v, { name: 'Old Name Ltd' });
    const alice = await new Customer(v.url).signUp(uniqueEmail('names'));
    await alice.call('PATCH', '/api/profile', { phone: '+44 20 7946 0999' });
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'] });
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);

    v.clock.advance(60_000);
    const renamed = await rename(shop, 'New Name Ltd');
    expect(renamed.status).toBe(200);
    expect(renamed.body.client_name).toBe('New Name Ltd');
    v.clock.advance(60_000);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);

    const events = await auditOf(shop.clientId, 'company.renamed');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { kind: 'company', id: shop.clientId }, detail: { nameVersion: 2 } });
    expect(JSON.stringify(events[0])).not.toContain('Name Ltd');

    const reads = (await alice.call('GET', '/api/reads')).body.reads.filter(
      (r: { action: string }) => r.action === 'data.read',
    );
    expect(reads.map((r: { company: { name: string } }) => r.company.name)).toEqual(['New Name Ltd', 'Old Name Ltd']);

    const grant = (await alice.call('GET', `/api/grants/${t.grant_id}`)).body;
    expect(grant.company).toEqual({ id: shop.clientId, name: 'Old Name Ltd', currentName: 'New Name Ltd' });

    const receipts = (await alice.call('GET', '/api/receipts')).body.receipts;
    expect(receipts.map((r: { company: { name: string } }) => r.company.name)).toEqual(['Old Name Ltd']);

    const inbox = (await alice.call('GET', '/api/inbox')).body.messages;
    expect(inbox.some((m: { body: { title: string } }) => m.body.title.startsWith('Old Name Ltd'))).toBe(true);
  });
});
