import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Call Centre' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 65 65 65' });
});
afterAll(async () => v.close());

const ask = (c: RegisteredCompany, handle: string, fields = ['phone']) =>
  form(
    `${v.url}/bc-authorize`,
    { login_hint: handle, authorization_details: details(fields, 'customer-support', 'P7D') },
    { authorization: c.basic() },
  );
const poll = (c: RegisteredCompany, id: string) =>
  form(
    `${v.url}/token`,
    { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: id },
    { authorization: c.basic() },
  );

describe('back-channel access requests (the customer is not in front of the company)', () => {
  it('when the company asks by vault handle and the customer approves in the dashboard, then polling yields tokens once', async () => {
    const r = await ask(shop, alice.handle);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ expires_in: 600, interval: 5 });
    expect((await poll(shop, r.body.auth_req_id)).body.error).toBe('authorization_pending');
    const pending = (await alice.call('GET', '/api/requests')).body.requests;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      mode: 'backchannel',
      company: { name: 'Call Centre' },
      request: { purpose: 'customer-support' },
    });
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages;
    expect(inbox.some((m: { kind: string }) => m.kind === 'request.pending')).toBe(true);
    expect(
      (await alice.call('POST', `/api/consent/${pending[0].id}`, { decision: 'approve', termsVersion: 1 })).body,
    ).toEqual({});
    const tokens = await poll(shop, r.body.auth_req_id);
    expect(tokens.status).toBe(200);
    const read = await readData(v, tokens.body.access_token, alice.handle);
    expect(read.body.fields).toEqual({ phone: '+32 470 65 65 65' });
    expect((await poll(shop, r.body.auth_req_id)).body.error).toBe('invalid_grant');
    expect((await alice.call('GET', '/api/requests')).body.requests).toHaveLength(0);
  });

  it('when the customer denies, then polling says access_denied', async () => {
    const r = await ask(shop, alice.handle);
    const id = (await alice.call('GET', '/api/requests')).body.requests[0].id;
    await alice.call('POST', `/api/consent/${id}`, { decision: 'deny' });
    expect((await poll(shop, r.body.auth_req_id)).body.error).toBe('access_denied');
  });

  it('when the customer has blocked the company, then the request is refused at once and never reaches the customer', async () => {
    const blocked = await registerCompany(v, { name: 'Pest' });
    await alice.call('PUT', '/api/criteria', { blockedCompanies: [blocked.clientId] });
    const r = await ask(blocked, alice.handle);
    expect(r.status).toBe(403);
    // The company is told the customer's criteria refuse it, not which criterion (SECURITY.md).
    expect(r.body.reasons.map((x: { code: string }) => x.code)).toEqual(['CUSTOMER_CRITERIA']);
    expect((await alice.call('GET', '/api/requests')).body.requests).toHaveLength(0);
    await alice.call('PUT', '/api/criteria', {});
  });

  it('when another company polls with the id, or the handle is unknown, then it is refused', async () => {
    const other = await registerCompany(v, { name: 'Other' });
    const r = await ask(shop, alice.handle);
    expect((await poll(other, r.body.auth_req_id)).body.error).toBe('invalid_grant');
    expect((await ask(shop, 'vh-aaaaa-aaaaa')).body.error).toBe('unknown_user_id');
  });

  it('when the customer does not answer in time, then polling says expired_token', async () => {
    const r = await ask(shop, alice.handle);
    v.clock.advance(601_000);
    expect((await poll(shop, r.body.auth_req_id)).body.error).toBe('expired_token');
  });

  it('when an approval is not collected before the request expires, then polling says expired_token', async () => {
    const r = await ask(shop, alice.handle);
    const id = (await alice.call('GET', '/api/requests')).body.requests[0].id;
    expect((await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 1 })).status).toBe(200);
    v.clock.advance(601_000);
    const late = await poll(shop, r.body.auth_req_id);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('expired_token');
  });

  it('when a DPoP client polls an approved request without a proof, then it is refused and the approval is not used up', async () => {
    const dpopCo = await registerCompany(v, { name: 'DPoP Call Centre', dpop: true });
    const kp = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(kp.publicKey);
    const proof = () =>
      new SignJWT({
        htm: 'POST',
        htu: `${v.url}/token`,
        jti: randomUUID(),
        iat: Math.floor(v.clock.now().getTime() / 1000),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(kp.privateKey);
    const r = await ask(dpopCo, alice.handle);
    const id = (await alice.call('GET', '/api/requests')).body.requests[0].id;
    await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 1 });
    const bare = await poll(dpopCo, r.body.auth_req_id);
    expect(bare.body.error).toBe('invalid_dpop_proof');
    const withProof = await form(
      `${v.url}/token`,
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: r.body.auth_req_id },
      { authorization: dpopCo.basic(), dpop: await proof() },
    );
    expect(withProof.status).toBe(200);
    expect(withProof.body.token_type).toBe('DPoP');
    const again = await form(
      `${v.url}/token`,
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: r.body.auth_req_id },
      { authorization: dpopCo.basic(), dpop: await proof() },
    );
    expect(again.body.error).toBe('invalid_grant');
  });

  it('when the company is disabled while its request waits, then the customer can no longer approve it and no grant is made', async () => {
    const gone = await registerCompany(v, { name: 'Gone Soon' });
    const r = await ask(gone, alice.handle);
    expect(r.status).toBe(200);
    const id = (
      (await alice.call('GET', '/api/requests')).body.requests as { id: string; company: { id: string } }[]
    ).find((q) => q.company.id === gone.clientId)!.id;
    expect(
      (
        await fetch(`${v.url}/register/${gone.clientId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${gone.registrationAccessToken}` },
        })
      ).status,
    ).toBe(204);
    expect(
      ((await alice.call('GET', '/api/requests')).body.requests as { id: string }[]).map((q) => q.id),
    ).not.toContain(id);
    expect((await alice.call('GET', `/api/consent/${id}`)).body.status).toBe('expired');
    expect((await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 1 })).status).toBe(409);
    const grants = (await alice.call('GET', '/api/grants')).body.grants as { company: { id: string } }[];
    expect(grants.filter((g) => g.company.id === gone.clientId)).toEqual([]);
  });

  it('when the customer approves just before the request expires, then the company still has time to collect the tokens', async () => {
    const r = await ask(shop, alice.handle);
    const id = (
      (await alice.call('GET', '/api/requests')).body.requests as { id: string; company: { id: string } }[]
    ).find((q) => q.company.id === shop.clientId)!.id;
    v.clock.advance(598_000);
    expect((await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 1 })).status).toBe(200);
    v.clock.advance(5_000);
    const tokens = await poll(shop, r.body.auth_req_id);
    expect(tokens.status).toBe(200);
    expect(tokens.body.access_token).toBeTruthy();
  });
});
