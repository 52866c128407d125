import { createPrivateKey, sign as edSign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompactSign,
  SignJWT,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
  type JSONWebKeySet,
} from 'jose';
import { z } from 'zod';
import { writeSecretFile } from './keyring.ts';

/**
 * The server's token- and checkpoint-signing keys (EdDSA / Ed25519), kept in `signing-keys.json`
 * (mode 0600). Rotation adds a key and retires the old one; a retired key stays in the JWKS for
 * `graceSeconds` so that tokens and receipts it signed still verify (SECURITY.md "Token design").
 */
export const SIGNING_KEYS_FILE = 'signing-keys.json';
export const SIGNING_ALG = 'EdDSA';

const stored = z.object({
  kid: z.string(),
  privateJwk: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
});
type StoredKey = z.infer<typeof stored>;

interface LoadedKey extends StoredKey {
  publicJwk: JWK;
  keyObject: KeyObject;
}

async function newStoredKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `sig-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
  return { kid, privateJwk: jwk as Record<string, unknown>, createdAt: new Date().toISOString(), retiredAt: null };
}

export class SigningKeys {
  private constructor(
    private readonly file: string,
    private keys: LoadedKey[],
    private readonly graceSeconds: number,
    private readonly now: () => Date,
  ) {}

  private mtimeMs = 0;

  static async open(dataDir: string, opts: { graceSeconds?: number; now?: () => Date } = {}): Promise<SigningKeys> {
    const file = join(dataDir, SIGNING_KEYS_FILE);
    if (!existsSync(file)) writeSecretFile(file, JSON.stringify([await newStoredKey()], null, 2));
    const sk = new SigningKeys(file, [], opts.graceSeconds ?? 86_400, opts.now ?? (() => new Date()));
    sk.reload();
    return sk;
  }

  /** Synchronous, so a rotation by the CLI is picked up on the next use without a restart. */
  reload(): void {
    const list = z.array(stored).parse(JSON.parse(readFileSync(this.file, 'utf8')));
    this.mtimeMs = statSync(this.file).mtimeMs;
    this.keys = list.map((k) => {
      const { d: _d, ...pub } = k.privateJwk as JWK;
      return {
        ...k,
        publicJwk: { ...pub, kid: k.kid, alg: SIGNING_ALG, use: 'sig' },
        keyObject: createPrivateKey({ key: k.privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
      };
    });
    this.localSet = createLocalJWKSet(this.publicKeys());
  }

  private reloadIfChanged(): void {
    if (statSync(this.file).mtimeMs !== this.mtimeMs) this.reload();
  }

  private localSet: ReturnType<typeof createLocalJWKSet> = createLocalJWKSet({ keys: [] });

  private active(): LoadedKey {
    this.reloadIfChanged();
    const k = this.keys.filter((x) => !x.retiredAt).at(-1);
    if (!k) throw new Error('no active signing key');
    return k;
  }

  /** Public keys only: the active one and retired ones still inside their grace period. */
  jwks(): JSONWebKeySet {
    this.reloadIfChanged();
    return this.publicKeys();
  }

  /** Every public key in the file, retired ones too: to check the vault's own older signatures (audit verify --live). */
  allPublicKeys(): JSONWebKeySet {
    this.reloadIfChanged();
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  private publicKeys(): JSONWebKeySet {
    const cutoff = this.now().getTime() - this.graceSeconds * 1000;
    return {
      keys: this.keys.filter((k) => !k.retiredAt || Date.parse(k.retiredAt) > cutoff).map((k) => k.publicJwk),
    };
  }

  async signJwt(payload: JWTPayload, typ: string): Promise<string> {
    const k = this.active();
    return new SignJWT(payload).setProtectedHeader({ alg: SIGNING_ALG, kid: k.kid, typ }).sign(k.keyObject);
  }

  async signBytes(payload: Uint8Array, typ: string): Promise<string> {
    const k = this.active();
    return new CompactSign(payload).setProtectedHeader({ alg: SIGNING_ALG, kid: k.kid, typ }).sign(k.keyObject);
  }

  /**
   * Synchronous compact JWS (RFC 7515 §7.1) for signatures made inside a database transaction (consent
   * receipts commit with the grant change they record; better-sqlite3 transactions cannot await).
   * jose only signs asynchronously, so the three-part serialisation is done here with node:crypto's
   * Ed25519; every signature is verified with jose (tests and the offline verifier).
   */
  signSync(payload: unknown, typ: string): string {
    const k = this.active();
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${b64({ alg: SIGNING_ALG, kid: k.kid, typ })}.${b64(payload)}`;
    return `${input}.${edSign(null, Buffer.from(input), k.keyObject).toString('base64url')}`;
  }

  /** Verifies a JWT we issued; only EdDSA is accepted, so `alg: none` and HS256 confusion fail. */
  async verifyJwt(token: string, opts: JWTVerifyOptions) {
    this.reloadIfChanged();
    return jwtVerify(token, this.localSet, { ...opts, algorithms: [SIGNING_ALG] });
  }

  /** Adds a new key; the previous active key is retired but stays published for the grace period. */
  async rotate(): Promise<string> {
    const list = z.array(stored).parse(JSON.parse(readFileSync(this.file, 'utf8')));
    const now = this.now().toISOString();
    for (const k of list) if (!k.retiredAt) k.retiredAt = now;
    const fresh = await newStoredKey();
    list.push(fresh);
    writeSecretFile(this.file, JSON.stringify(list, null, 2));
    this.reload();
    return fresh.kid;
  }
}
