import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../db/backend.ts';
import type { Db } from '../db/connection.ts';
import { rawStatement } from '../db/raw.ts';
import { damagedKeyFile, KEYRING_FILE, Keyring, KeyringError } from './keyring.ts';
import { SIGNING_KEYS_FILE, SigningKeys } from './signing-keys.ts';

/**
 * Start-up rules for the key files (SECURITY.md "Keys"), shared by the server, the CLI and the tests.
 *
 * Fresh keys are made only for a data dir that holds nothing: no database and no key file. They are
 * written durably before the database file is created, so a data dir with a database always had its
 * keys on disk first. Anywhere else a missing key file is an error naming the file to restore: a new key
 * in its place would silently orphan every data key wrapped, and every signature made, by the old one.
 */
export function prepareKeyFiles(
  dataDir: string,
  databaseFile: string | { what: string; exists: boolean },
  masterKey?: string,
): 'created' | 'present' {
  const files = [KEYRING_FILE, SIGNING_KEYS_FILE].map((f) => join(dataDir, f));
  // On PostgreSQL there is no file: the caller says whether the database already holds data keys.
  const database =
    typeof databaseFile === 'string'
      ? [databaseFile, `${databaseFile}-wal`].some((f) => existsSync(f))
      : databaseFile.exists;
  const databaseIs = typeof databaseFile === 'string' ? `${databaseFile} exists` : databaseFile.what;
  const present = files.filter((f) => existsSync(f));
  if (!database && present.length === 0) {
    Keyring.createFile(dataDir, masterKey);
    SigningKeys.createFile(dataDir);
    return 'created';
  }
  for (const file of files) {
    if (present.includes(file)) continue;
    const why = database ? databaseIs : `${present.join(' and ')} exists`;
    throw damagedKeyFile(file, `is missing although ${why}`, 'data or signatures may depend on the key it held');
  }
  return 'present';
}

type KekSample = { kekId: string; id: string; wrapped: Buffer };

/**
 * One stored data key per KEK: SQLite picks a row of each group for a bare column of `GROUP BY`; PostgreSQL
 * refuses bare columns, and says which row with `DISTINCT ON`. Aliases are quoted: PostgreSQL folds them to lower case.
 */
export const KEK_SAMPLE = {
  sqlite: 'SELECT kek_id AS "kekId", id, wrapped_dek AS wrapped FROM customers GROUP BY kek_id',
  postgres: 'SELECT DISTINCT ON (kek_id) kek_id AS "kekId", id, wrapped_dek AS wrapped FROM customers ORDER BY kek_id',
};

/** The sample on either back end (a PostgreSQL start runs the same check on it). */
export async function kekSample(b: Backend): Promise<KekSample[]> {
  return rawStatement<KekSample>(b, KEK_SAMPLE).all();
}

/**
 * Every KEK that wraps a stored data key must be in the keyring and must open one of them: a keyring
 * restored from too old a backup, or one whose key bytes were damaged, stops the start instead of
 * failing customer by customer later. `on` is the SQLite database opened at start (synchronous there), or the
 * sample `kekSample` read.
 */
export function checkKeyringCoversData(on: Db | KekSample[], keyring: Keyring, keyringFile: string): void {
  const sample = Array.isArray(on) ? on : (on.$client.prepare(KEK_SAMPLE.sqlite).all() as KekSample[]);
  const missing = keyring.missing(sample.map((s) => s.kekId));
  if (missing.length > 0)
    throw damagedKeyFile(
      keyringFile,
      `lacks the key-encryption key${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that wrap${missing.length > 1 ? '' : 's'} stored data keys`,
      'those customers could no longer open their data',
    );
  for (const s of sample) {
    try {
      keyring.unwrapDek(s.id, { kekId: s.kekId, wrapped: s.wrapped }).fill(0);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      throw damagedKeyFile(
        keyringFile,
        `holds a key ${s.kekId} that does not open the data keys it wrapped (${e instanceof KeyringError ? e.message : 'authentication failed'})`,
        'those customers could no longer open their data',
      );
    }
  }
}
