import { CompactSign, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../chain/chain.ts';
import { CHECKPOINT_TYP, CheckpointError, chainsCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint.ts';
import { makeKey } from '../../../test/support/audit-chain.ts';

const cp = { seq: 42, hash: 'ab'.repeat(32), time: '2025-03-01T10:00:00.000Z' };

describe('checkpoints', () => {
  it('when signed with a key in the JWKS, then verify returns the same seq, hash, time and kid', async () => {
    const key = await makeKey('k-2025');
    const { jws } = await key.sign(cp);
    await expect(verifyCheckpoint(jws, key.jwks)).resolves.toEqual({ ...cp, kid: 'k-2025' });
  });

  it('when the header is inspected, then it carries alg, kid and the checkpoint type', async () => {
    const key = await makeKey('k1');
    const { jws } = await key.sign(cp);
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', kid: 'k1', typ: CHECKPOINT_TYP });
  });

  it('when signed by a key that is not in the JWKS, then verify fails', async () => {
    const trusted = await makeKey('k1');
    const other = await makeKey('k1'); // same kid, different key: a forger's guess
    const { jws } = await other.sign(cp);
    await expect(verifyCheckpoint(jws, trusted.jwks)).rejects.toThrow(CheckpointError);
  });

  it('when the payload is changed after signing, then verify fails', async () => {
    const key = await makeKey();
    const { jws } = await key.sign(cp);
    const [h, , s] = jws.split('.');
    const forged = Buffer.from(JSON.stringify({ ...cp, seq: 43 })).toString('base64url');
    await expect(verifyCheckpoint(`${h}.${forged}.${s}`, key.jwks)).rejects.toThrow(/signature/);
  });

  it('when another JWS from the same key (not typed as a checkpoint) is offered, then verify fails', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const { exportJWK } = await import('jose');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] };
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(cp)))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })
      .sign(privateKey);
    await expect(verifyCheckpoint(token, jwks)).rejects.toThrow(/not a checkpoint/);
  });

  it('when the signer is a keyring callback, then it receives the exact payload and the type', async () => {
    let seen: { payload: string; typ: string } | undefined;
    const jws = await signCheckpoint({ seq: 0, hash: GENESIS_HASH, time: cp.time }, async (payload, header) => {
      seen = { payload: new TextDecoder().decode(payload), typ: header.typ };
      return 'signed';
    });
    expect(jws).toBe('signed');
    expect(seen).toEqual({ payload: `{"seq":0,"hash":"${GENESIS_HASH}","time":"${cp.time}"}`, typ: CHECKPOINT_TYP });
  });

  it.each([
    ['a negative seq', { ...cp, seq: -1 }],
    ['an uppercase hash', { ...cp, hash: 'AB'.repeat(32) }],
    ['a time without milliseconds', { ...cp, time: '2025-03-01T10:00:00Z' }],
  ])('when asked to sign %s, then it refuses', async (_name, bad) => {
    const key = await makeKey();
    await expect(key.sign(bad)).rejects.toThrow();
  });

  it('when the input is not a JWS at all, then verify fails with a CheckpointError', async () => {
    const key = await makeKey();
    await expect(verifyCheckpoint('not-a-jws', key.jwks)).rejects.toThrow(CheckpointError);
  });
});

describe('checkpoints over several chains', () => {
  const heads = [
    { chain: 'srv-b', seq: 9, hash: 'cd'.repeat(32) },
    { chain: 'main', seq: 11, hash: 'ab'.repeat(32) },
  ];
  const several = chainsCheckpoint(heads, cp.time);

  it('when every head is signed together, then verify returns them sorted, with the newest as seq and hash', async () => {
    const key = await makeKey('k1');
    const { jws } = await key.sign(several);
    const payload = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString());
    expect(payload).toEqual({ chains: [heads[1], heads[0]], time: cp.time });
    await expect(verifyCheckpoint(jws, key.jwks)).resolves.toEqual({
      seq: 11,
      hash: 'ab'.repeat(32),
      time: cp.time,
      chains: [heads[1], heads[0]],
      kid: 'k1',
    });
  });

  it('when one chain is signed, then the payload stays {seq, hash, time} as in every existing export', async () => {
    const key = await makeKey('k1');
    const { jws } = await key.sign(cp);
    expect(JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString())).toEqual(cp);
  });

  it.each([
    ['a chain named twice', [heads[1]!, heads[1]!]],
    ['a chain id of another shape', [{ ...heads[0]!, chain: 'Srv B' }]],
    ['a head at seq 0', [{ ...heads[0]!, seq: 0 }]],
  ])('when the heads hold %s, then signing refuses', async (_name, bad) => {
    const key = await makeKey('k1');
    await expect(key.sign({ ...cp, chains: bad })).rejects.toThrow();
  });
});
