import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  details,
  form,
  obtainTokens,
  pkce,
  registerCompany,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
const HOUR = 3600_000;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Sweep Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('swept'));
});
afterAll(async () => v.close());

const TABLES = [
  'auth_requests',
  'auth_codes',
  'refresh_tokens',
  'token_families',
  'revoked_access_tokens',
  'sessions',
  'rate_windows',
] as const;
const counts = async () =>
  Object.fromEntries(
    await Promise.all(
      [...TABLES, 'inbox'].map(async (t) => [
        t,
        await countOf(v, `select count(*) AS n from ${t}${t === 'inbox' ? " where kind = 'request.pending'" : ''}`),
      ]),
    ),
  ) as Record<(typeof TABLES)[number] | 'inbox', number>;
const refresh = (token: string) =>
  form(`${v.url}/token`, { grant_type: 'refresh_token', refresh_token: token }, { authorization: shop.basic() });

describe('the sweep purges every expired row, and only those', () => {
  it('when requests, codes, tokens, sessions and budgets pass their end, then the sweep deletes them while live ones stay and work', async () => {
    // An anonymous front-channel request, a pushed one, a back-channel one with its inbox message.
    const anonymous = await fetch(
      `${v.url}/authorize?` +
        new URLSearchParams({
          response_type: 'code',
          client_id: shop.clientId,
          redirect_uri: REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
          authorization_details: details(['email']),
        }).toString(),
      { redirect: 'manual' },
    );
    expect(anonymous.status).toBe(303);
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        authorization_details: details(['email']),
      },
      { authorization: shop.basic() },
    );
    expect(par.status).toBe(201);
    const bc = await form(
      `${v.url}/bc-authorize`,
      { login_hint: alice.handle, authorization_details: details(['email'], 'customer-support', 'P7D') },
      { authorization: shop.basic() },
    );
    expect(bc.status).toBe(200);
    // Three token families: one ending with its one-day grant (refreshed once), one revoked, one live.
    const short = await obtainTokens(v, shop, alice, { duration: 'P1D' });
    const shortNext = (await refresh(short.refresh_token)).body.refresh_token as string;
    const revoked = await obtainTokens(v, shop, alice, { duration: 'P30D' });
    const live = await obtainTokens(v, shop, alice, { duration: 'P30D' });
    for (const token of [revoked.refresh_token, short.access_token])
      expect((await form(`${v.url}/revoke`, { token }, { authorization: shop.basic() })).status).toBe(200);

    const before = await counts();
    expect(before).toMatchObject({ refresh_tokens: 4, token_families: 3, revoked_access_tokens: 1, inbox: 1 });
    await v.vault.sweep();
    expect(await counts()).toEqual(before);

    // Two hours on: requests, codes, the revoked jti, budgets and the inbox message are gone; so is the
    // family revoked more than an hour ago; the used refresh token stays a day, to catch its replay.
    v.clock.advance(2 * HOUR);
    await v.vault.sweep();
    expect(await counts()).toEqual({
      auth_requests: 0,
      auth_codes: 0,
      refresh_tokens: 3,
      token_families: 2,
      revoked_access_tokens: 0,
      sessions: before.sessions,
      rate_windows: 0,
      inbox: 0,
    });
    const gone = await fetch(
      `${v.url}/authorize?client_id=${shop.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
      { redirect: 'manual' },
    );
    expect(gone.status).toBe(400);
    expect((await alice.call('GET', '/api/requests')).body.requests).toEqual([]);
    expect((await refresh(shortNext)).status).toBe(200);
    const liveNext = (await refresh(live.refresh_token)).body.refresh_token as string;

    // A day later the one-day grant has ended: its family and refresh tokens go; the live family keeps only
    // its unused refresh token (the one used a day ago goes); the session has expired.
    v.clock.advance(25 * HOUR);
    await v.vault.sweep();
    expect(await counts()).toMatchObject({ refresh_tokens: 1, token_families: 1, sessions: 0 });
    expect((await refresh(liveNext)).status).toBe(200);
  });
});
