import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign as edSign,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompactSign,
  errors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
  type JSONWebKeySet,
} from 'jose';
import { z } from 'zod';
import { fileIdentity, replaceFileDurably } from './durable-file.ts';
import { damagedKeyFile, reloadWhenChanged, type KeyReload } from './keyring.ts';

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
  publicKey: KeyObject;
}

/** One loaded key list, swapped in whole by a reload. */
interface SigningState {
  keys: LoadedKey[];
  identity: string;
  active?: LoadedKey;
}

/** Synchronous (node:crypto), so a fresh data dir gets both key files before its database exists. */
function newStoredKey(): StoredKey {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const kid = `sig-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  return { kid, privateJwk: jwk as Record<string, unknown>, createdAt: new Date().toISOString(), retiredAt: null };
}

const SIGNING_LOSS =
  'audit checkpoints, consent receipts and live tokens signed with these keys would no longer verify';

/** The stored keys, or an error naming the file and what to restore; never an empty list. */
function readStoredKeys(file: string): StoredKey[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw damagedKeyFile(file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`, SIGNING_LOSS);
  }
  if (text.trim() === '') throw damagedKeyFile(file, 'is empty', SIGNING_LOSS);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw damagedKeyFile(file, 'is not valid JSON (truncated or overwritten?)', SIGNING_LOSS);
  }
  const parsed = z.array(stored).min(1).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw damagedKeyFile(
      file,
      `is not a signing-key list (${issue.path.join('.') || 'list'}: ${issue.message})`,
      SIGNING_LOSS,
    );
  }
  return parsed.data;
}

export class SigningKeys {
  private state: SigningState = { keys: [], identity: '' };

  private constructor(
    private readonly file: string,
    private readonly graceSeconds: number,
    private readonly now: () => Date,
  ) {}

  /** Writes a fresh key list; only for a data dir that holds nothing yet (see key-files.ts). */
  static createFile(dataDir: string): void {
    replaceFileDurably(join(dataDir, SIGNING_KEYS_FILE), JSON.stringify([newStoredKey()], null, 2));
  }

  static async open(dataDir: string, opts: { graceSeconds?: number; now?: () => Date } = {}): Promise<SigningKeys> {
    const file = join(dataDir, SIGNING_KEYS_FILE);
    const sk = new SigningKeys(file, opts.graceSeconds ?? 86_400, opts.now ?? (() => new Date()));
    sk.reload();
    return sk;
  }

  /** Loads the file now; throws (a KeyringError) when it is damaged, leaving the keys in use. */
  reload(): void {
    this.state = this.load(fileIdentity(this.file));
  }

  /**
   * Picks up a signing-keys.json changed by a rotation on this or another host (SECURITY.md "Keys"); a
   * file that does not load never replaces the keys in use, and the next look tries again.
   */
  reloadIfChanged(): KeyReload {
    return reloadWhenChanged(this.file, this.state.identity, (identity) => {
      this.state = this.load(identity);
    });
  }

  /** The identity is taken before the read, so a change in between is seen on the next look. */
  private load(identity: string): SigningState {
    const keys = readStoredKeys(this.file).map((k): LoadedKey => {
      const { d: _d, ...pub } = k.privateJwk as JWK;
      let keyObject: KeyObject;
      try {
        keyObject = createPrivateKey({ key: k.privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      } catch {
        throw damagedKeyFile(this.file, `holds a damaged private key (${k.kid})`, SIGNING_LOSS);
      }
      const publicJwk: JWK = { ...pub, kid: k.kid, alg: SIGNING_ALG, use: 'sig' };
      return { ...k, publicJwk, keyObject, publicKey: createPublicKey(keyObject) };
    });
    return { keys, identity };
  }

  /** The last key not retired; looked up once per loaded key list (every token is signed with it). */
  private active(): LoadedKey {
    const state = this.state;
    if (state.active) return state.active;
    const k = state.keys.filter((x) => !x.retiredAt).at(-1);
    if (!k) throw new Error('no active signing key');
    return (state.active = k);
  }

  /** Public keys only: the active one and retired ones still inside their grace period. */
  jwks(): JSONWebKeySet {
    return { keys: this.published().map((k) => k.publicJwk) };
  }

  /** Every public key in the file, retired ones too: to check the vault's own older signatures (audit verify --live). */
  allPublicKeys(): JSONWebKeySet {
    this.reloadIfChanged();
    return { keys: this.state.keys.map((k) => k.publicJwk) };
  }

  private published(): LoadedKey[] {
    const cutoff = this.now().getTime() - this.graceSeconds * 1000;
    return this.state.keys.filter((k) => !k.retiredAt || Date.parse(k.retiredAt) > cutoff);
  }

  private verificationKey(kid: string | undefined): KeyObject | undefined {
    return this.published().find((k) => k.kid === kid)?.publicKey;
  }

  /**
   * Signed with node:crypto's Ed25519 in this thread (signSync): jose signs through WebCrypto, whose
   * thread-pool job and promise cost more than the signature itself on the token endpoint.
   */
  async signJwt(payload: JWTPayload, typ: string): Promise<string> {
    return this.signSync(payload, typ);
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
    const input = `${this.encodedHeader(k.kid, typ)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    // The signing input is base64url text, ASCII only: latin1 is its byte form, without a UTF-8 encoder.
    return `${input}.${edSign(null, Buffer.from(input, 'latin1'), k.keyObject).toString('base64url')}`;
  }

  /**
   * The same compact JWS as signSync, with the Ed25519 signature computed on libuv's thread pool
   * (node:crypto's one-shot sign with a callback): for answers signed outside any transaction on a hot path
   * (claim answers, client-credentials tokens), so that the event loop, which every request shares, spends about 5 µs on the
   * signature instead of about 40 and serves the next batch meanwhile (README "Benchmarks").
   */
  signInPool(payload: unknown, typ: string): Promise<string> {
    const k = this.active();
    const input = `${this.encodedHeader(k.kid, typ)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return new Promise((resolve, reject) =>
      edSign(null, Buffer.from(input, 'latin1'), k.keyObject, (err, sig) =>
        err ? reject(err) : resolve(`${input}.${sig.toString('base64url')}`),
      ),
    );
  }

  /** The protected header, base64url-encoded once per key and type. */
  private encodedHeader(kid: string, typ: string): string {
    const key = `${kid} ${typ}`;
    let h = this.headers.get(key);
    if (h === undefined) {
      h = Buffer.from(JSON.stringify({ alg: SIGNING_ALG, kid, typ })).toString('base64url');
      this.headers.set(key, h);
    }
    return h;
  }

  private readonly headers = new Map<string, string>();

  /** Verifies a JWT we issued; only EdDSA is accepted, so `alg: none` and HS256 confusion fail. */
  async verifyJwt(token: string, opts: JWTVerifyOptions) {
    const key = (header: { kid?: string }): KeyObject => {
      // A kid this server has not loaded yet may come from another server that rotated first: look at
      // the file once (one stat when nothing changed) before refusing.
      let k = this.verificationKey(header.kid);
      if (!k && this.reloadIfChanged().status === 'reloaded') k = this.verificationKey(header.kid);
      if (!k) throw new errors.JWKSNoMatchingKey();
      return k;
    };
    return jwtVerify(token, key, { ...opts, algorithms: [SIGNING_ALG] });
  }

  /** Adds a new key; the previous active key is retired but stays published for the grace period. */
  async rotate(): Promise<string> {
    const list = readStoredKeys(this.file);
    const now = this.now().toISOString();
    for (const k of list) if (!k.retiredAt) k.retiredAt = now;
    const fresh = newStoredKey();
    list.push(fresh);
    // Durable before the new kid is reported or used: a token signed with a key lost in a power cut
    // could never be verified.
    replaceFileDurably(this.file, JSON.stringify(list, null, 2));
    this.reload();
    return fresh.kid;
  }
}
