import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { open, seal } from './aead.ts';
import { fileIdentity, replaceFileDurably } from './durable-file.ts';

/**
 * The key hierarchy (SECURITY.md "Keys"): key-encryption keys (KEKs) live in `kek.json` (mode 0600)
 * or come from VAULT_MASTER_KEY; each customer's 256-bit data key (DEK) is stored only wrapped by a
 * KEK, tagged with the KEK's id. A separate blind-index key turns e-mail addresses into HMACs for
 * sign-in lookup; it is not rotated with KEKs because that would orphan every login.
 */
const key256 = z.string().refine((s) => Buffer.from(s, 'base64').length === 32, 'must be a 256-bit key in base64');
const fileSchema = z.object({
  active: z.string().min(1),
  indexKey: key256,
  keks: z.array(z.object({ id: z.string(), key: key256, createdAt: z.string() })),
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

/**
 * A key file that is missing or damaged where data may depend on it. Never answered by making a new key:
 * what was encrypted or signed under the old one would be lost without a word (SECURITY.md "Keys").
 */
export function damagedKeyFile(file: string, problem: string, consequence: string): KeyringError {
  return new KeyringError(
    `${file} ${problem}. No new key is made in its place: ${consequence}. Stop the vault, restore ${file} ` +
      `from your latest backup of the data dir (taken after the last key rotation), then start it again.`,
  );
}

const KEK_LOSS = "every customer's data key is wrapped by a key in this file";

/**
 * What a look at a key file found: nothing new, a new key set now in use, or a changed file that could
 * not be loaded (damaged, half-written, missing), in which case the keys in use are kept and the
 * problem (a sentence naming the file, never key material) is for the log (SECURITY.md "Keys").
 */
export type KeyReload = { status: 'unchanged' } | { status: 'reloaded' } | { status: 'kept'; problem: string };

/** Runs `load` when the file's identity changed; a load that throws a KeyringError keeps the old keys. */
export function reloadWhenChanged(file: string, loadedIdentity: string, load: (identity: string) => void): KeyReload {
  try {
    const identity = fileIdentity(file);
    if (identity === loadedIdentity) return { status: 'unchanged' };
    load(identity);
    return { status: 'reloaded' };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof KeyringError) return { status: 'kept', problem: e.message };
    if (code) return { status: 'kept', problem: `${file} cannot be read (${code})` };
    throw e;
  }
}

/** One loaded key set, swapped in whole so a request never sees half of an old and half of a new one. */
interface KeyringState {
  keks: Map<string, Uint8Array>;
  activeId: string;
  indexKey: Uint8Array;
  identity: string;
}

export class Keyring {
  private state: KeyringState;
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly envKey?: string,
  ) {
    this.file = join(dataDir, KEYRING_FILE);
    this.state = this.load(fileIdentity(this.file));
  }

  get activeKekId(): string {
    return this.state.activeId;
  }

  kekIds(): string[] {
    return [...this.state.keks.keys()];
  }

  wrapDek(customerId: string, dek: Uint8Array): WrappedDek {
    const { keks, activeId } = this.state;
    return { kekId: activeId, wrapped: seal(keks.get(activeId)!, dek, wrapAad(customerId, activeId)) };
  }

  unwrapDek(customerId: string, w: WrappedDek): Uint8Array {
    // Sealed by another server (or after a CLI rotation) under a KEK this one has not loaded yet.
    if (!this.state.keks.has(w.kekId)) this.reloadIfChanged();
    const kek = this.state.keks.get(w.kekId);
    if (!kek) throw new KeyringError(`unknown key-encryption key ${w.kekId}`);
    return open(kek, w.wrapped, wrapAad(customerId, w.kekId));
  }

  /** Keyed blind index of a login name: equality lookups without storing the value. */
  blindIndex(value: string): string {
    return createHmac('sha256', this.state.indexKey).update(value).digest('hex');
  }

  /** Adds a fresh KEK and makes it the one new DEKs are wrapped with (rotation step 1). */
  addKek(): string {
    const f = this.readFile();
    const key = randomBytes(32);
    const id = kekIdOf(key);
    f.keks.push({ id, key: b64(key), createdAt: new Date().toISOString() });
    f.active = id;
    // Durable before any data key is rewrapped under it.
    replaceFileDurably(this.file, JSON.stringify(f, null, 2));
    this.state = this.load(fileIdentity(this.file));
    return id;
  }

  /** Drops every KEK except the active one (rotation's last step, after every DEK is rewrapped). */
  retireAllButActive(): string[] {
    const f = this.readFile();
    const gone = f.keks.filter((k) => k.id !== f.active).map((k) => k.id);
    f.keks = f.keks.filter((k) => k.id === f.active);
    replaceFileDurably(this.file, JSON.stringify(f, null, 2));
    this.state = this.load(fileIdentity(this.file));
    return gone;
  }

  /** Writes a fresh keyring; only for a data dir that holds nothing yet (see key-files.ts). */
  static createFile(dataDir: string, envKey?: string): void {
    const key = envKey ? Buffer.from(envKey, 'base64url') : randomBytes(32);
    const keks = envKey ? [] : [{ id: kekIdOf(key), key: b64(key), createdAt: new Date().toISOString() }];
    const f: KeyringFile = { active: kekIdOf(key), indexKey: b64(randomBytes(32)), keks };
    replaceFileDurably(join(dataDir, KEYRING_FILE), JSON.stringify(f, null, 2));
  }

  /** Ids of the KEKs among `ids` that this keyring cannot open data with. */
  missing(ids: string[]): string[] {
    return ids.filter((id) => !this.state.keks.has(id));
  }

  private readFile(): KeyringFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw damagedKeyFile(this.file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`, KEK_LOSS);
    }
    if (text.trim() === '') throw damagedKeyFile(this.file, 'is empty', KEK_LOSS);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw damagedKeyFile(this.file, 'is not valid JSON (truncated or overwritten?)', KEK_LOSS);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.join('.') || 'the top level';
      throw damagedKeyFile(this.file, `is not a keyring (${where}: ${issue.message})`, KEK_LOSS);
    }
    return parsed.data;
  }

  /**
   * Loads kek.json whose identity was taken before reading it (a change in between is then seen on the
   * next look, never missed). Throws a KeyringError for a damaged file; the caller decides what that means.
   */
  private load(identity: string): KeyringState {
    const f = this.readFile();
    const keks = new Map(f.keks.map((k) => [k.id, new Uint8Array(Buffer.from(k.key, 'base64'))]));
    if (this.envKey) {
      const key = new Uint8Array(Buffer.from(this.envKey, 'base64url'));
      if (key.length !== 32) throw new KeyringError('VAULT_MASTER_KEY must decode to 32 bytes');
      keks.set(kekIdOf(key), key);
    }
    if (!keks.has(f.active))
      throw new KeyringError(
        `${this.file}: the active key ${f.active} is not available: set VAULT_MASTER_KEY to the key it came from, or restore ${this.file} from your latest backup of the data dir`,
      );
    return { keks, activeId: f.active, indexKey: new Uint8Array(Buffer.from(f.indexKey, 'base64')), identity };
  }

  /**
   * Picks up a kek.json changed by a rotation on this or another host (SECURITY.md "Keys"). A file that
   * does not load (half-written, damaged, missing) never replaces the keys in use: they stay, and the
   * next look tries again.
   */
  reloadIfChanged(): KeyReload {
    return reloadWhenChanged(this.file, this.state.identity, (identity) => {
      this.state = this.load(identity);
    });
  }
}
