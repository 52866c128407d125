import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { open, seal } from './aead.ts';

/**
 * The key hierarchy (SECURITY.md "Keys"): key-encryption keys (KEKs) live in `kek.json` (mode 0600)
 * or come from VAULT_MASTER_KEY; each customer's 256-bit data key (DEK) is stored only wrapped by a
 * KEK, tagged with the KEK's id. A separate blind-index key turns e-mail addresses into HMACs for
 * sign-in lookup; it is not rotated with KEKs because that would orphan every login.
 */
const fileSchema = z.object({
  active: z.string(),
  indexKey: z.string(),
  keks: z.array(z.object({ id: z.string(), key: z.string(), createdAt: z.string() })),
});
type KeyringFile = z.infer<typeof fileSchema>;

export const KEYRING_FILE = 'kek.json';

export class KeyringError extends Error {
  override name = 'KeyringError';
}

export interface WrappedDek {
  kekId: string;
  wrapped: Buffer;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const kekIdOf = (key: Uint8Array) => 'kek-' + createHash('sha256').update(key).digest('hex').slice(0, 16);
const wrapAad = (customerId: string, kekId: string) => `dek|${customerId}|${kekId}`;

export function writeSecretFile(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
}

export class Keyring {
  private keks = new Map<string, Uint8Array>();
  private activeId = '';
  private indexKey: Uint8Array = new Uint8Array();
  private mtimeMs = 0;
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly envKey?: string,
  ) {
    this.file = join(dataDir, KEYRING_FILE);
    if (!existsSync(this.file)) this.create();
    this.load();
  }

  get activeKekId(): string {
    return this.activeId;
  }

  kekIds(): string[] {
    return [...this.keks.keys()];
  }

  wrapDek(customerId: string, dek: Uint8Array): WrappedDek {
    this.reloadIfChanged();
    const kek = this.keks.get(this.activeId)!;
    return { kekId: this.activeId, wrapped: seal(kek, dek, wrapAad(customerId, this.activeId)) };
  }

  unwrapDek(customerId: string, w: WrappedDek): Uint8Array {
    if (!this.keks.has(w.kekId)) this.load(); // a rotation by the CLI may have added it
    const kek = this.keks.get(w.kekId);
    if (!kek) throw new KeyringError(`unknown key-encryption key ${w.kekId}`);
    return open(kek, w.wrapped, wrapAad(customerId, w.kekId));
  }

  /** Keyed blind index of a login name: equality lookups without storing the value. */
  blindIndex(value: string): string {
    return createHmac('sha256', this.indexKey).update(value).digest('hex');
  }

  /** Adds a fresh KEK and makes it the one new DEKs are wrapped with (rotation step 1). */
  addKek(): string {
    const f = this.readFile();
    const key = randomBytes(32);
    const id = kekIdOf(key);
    f.keks.push({ id, key: b64(key), createdAt: new Date().toISOString() });
    f.active = id;
    writeSecretFile(this.file, JSON.stringify(f, null, 2));
    this.load();
    return id;
  }

  /** Drops every KEK except the active one (rotation's last step, after every DEK is rewrapped). */
  retireAllButActive(): string[] {
    const f = this.readFile();
    const gone = f.keks.filter((k) => k.id !== f.active).map((k) => k.id);
    f.keks = f.keks.filter((k) => k.id === f.active);
    writeSecretFile(this.file, JSON.stringify(f, null, 2));
    this.load();
    return gone;
  }

  private create(): void {
    const key = this.envKey ? Buffer.from(this.envKey, 'base64url') : randomBytes(32);
    const keks = this.envKey ? [] : [{ id: kekIdOf(key), key: b64(key), createdAt: new Date().toISOString() }];
    const f: KeyringFile = { active: kekIdOf(key), indexKey: b64(randomBytes(32)), keks };
    writeSecretFile(this.file, JSON.stringify(f, null, 2));
  }

  private readFile(): KeyringFile {
    try {
      return fileSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (e) {
      throw new KeyringError(`${this.file} is not a valid keyring: ${(e as Error).message}`);
    }
  }

  private load(): void {
    const f = this.readFile();
    this.mtimeMs = statSync(this.file).mtimeMs;
    this.keks = new Map(f.keks.map((k) => [k.id, new Uint8Array(Buffer.from(k.key, 'base64'))]));
    if (this.envKey) {
      const key = new Uint8Array(Buffer.from(this.envKey, 'base64url'));
      if (key.length !== 32) throw new KeyringError('VAULT_MASTER_KEY must decode to 32 bytes');
      this.keks.set(kekIdOf(key), key);
    }
    if (!this.keks.has(f.active))
      throw new KeyringError(`active key ${f.active} is not available (is VAULT_MASTER_KEY set?)`);
    this.activeId = f.active;
    this.indexKey = new Uint8Array(Buffer.from(f.indexKey, 'base64'));
  }

  private reloadIfChanged(): void {
    if (statSync(this.file).mtimeMs !== this.mtimeMs) this.load();
  }
}
