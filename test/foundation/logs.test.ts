import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/http/logger.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let logged = '';
const sink = new PassThrough();

/** Resolves once the request with this id has its log line (written when its response closes, maybe after the client has it). */
const loggedRequest = (id: string) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if (!logged.includes(`"id":"${id}"`)) return;
      sink.off('data', check);
      resolve();
    };
    sink.on('data', check);
    check();
  });

beforeAll(async () => {
  sink.on('data', (d) => (logged += d));
  v = await startVault({ logger: createLogger('info', sink) });
});
afterAll(async () => v.close());

describe('logs', () => {
  it('when a customer signs up, fills the profile and a company reads it, then the log has request ids and none of the values, e-mail, tokens or cookies', async () => {
    const email = uniqueEmail('logprobe');
    const c = await new Customer(v.url).signUp(email, 'very secret passphrase 42');
    await c.call('PATCH', '/api/profile', { given_name: 'Zaphod', street_address: 'Heart of Gold 42' });
    const t = await obtainTokens(v, await registerCompany(v), c, { fields: ['email', 'street_address'] });
    const read = await readData(v, t.access_token, c.handle);
    expect(read.status).toBe(200);
    await loggedRequest(read.headers.get('x-request-id')!);
    const lines = logged
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => l.req).every((l) => typeof l.req.id === 'string' && l.req.id.length > 8)).toBe(true);
    for (const secret of [
      email,
      'Zaphod',
      'Heart of Gold',
      'very secret passphrase',
      t.access_token,
      t.refresh_token,
      c.cookie.split('=')[1]!,
      c.csrf,
    ]) {
      expect(logged.includes(secret), `log contains ${secret.slice(0, 20)}`).toBe(false);
    }
  });
});
