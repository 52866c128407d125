import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwksProblems } from './jwks.ts';

async function publicJwk(alg: 'EdDSA' | 'ES256' | 'RS256' | 'ES384') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { pub: await exportJWK(publicKey), priv: await exportJWK(privateKey) };
}

describe('jwksProblems', () => {
  it.each(['EdDSA', 'ES256', 'RS256'] as const)(
    'when one %s public key is given, then there is no problem',
    async (alg) => {
      expect(await jwksProblems({ keys: [(await publicJwk(alg)).pub] })).toEqual([]);
    },
  );

  it('when a private key is given, then its private members are named', async () => {
    const { priv } = await publicJwk('ES256');
    expect(await jwksProblems({ keys: [priv] })).toEqual([
      { path: 'jwks.keys.0', message: expect.stringContaining('private key material (d)') },
    ]);
  });

  it('when an ES384 key is given, then it is refused', async () => {
    expect(await jwksProblems({ keys: [(await publicJwk('ES384')).pub] })).toEqual([
      { path: 'jwks.keys.0', message: 'EC keys must use crv "P-256"' },
    ]);
  });

  it.each<[string, unknown]>([
    ['not an object', 'keys'],
    ['without keys', {}],
    ['with no keys', { keys: [] }],
    ['with eleven keys', { keys: Array.from({ length: 11 }, () => ({})) }],
    ['with a non-object key', { keys: [42] }],
  ])('when the set is %s, then there is a problem', async (_why, jwks) => {
    expect((await jwksProblems(jwks)).length).toBeGreaterThan(0);
  });
});
