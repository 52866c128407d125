import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/connection.ts';
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
export function prepareKeyFiles(dataDir: string, databaseFile: string, masterKey?: string): 'created' | 'present' {
  const files = [KEYRING_FILE, SIGNING_KEYS_FILE].map((f) => join(dataDir, f));
  const database = [databaseFile, `${databaseFile}-wal`].some((f) => existsSync(f));
  const present = files.filter((f) => existsSync(f));
  if (!database && present.length === 0) {
    Keyring.createFile(dataDir, masterKey);
    SigningKeys.createFile(dataDir);
    return 'created';
  }
  for (const file of files) {
    if (present.includes(file)) continue;
    const why = database ? `${databaseFile} exists` : `${present.join(' and ')} exists`;
    throw damagedKeyFile(file, `is missing although ${why}`, 'data or signatures may depend on the key it held');
  }
  return 'present';
}

/**
 * Every KEK that wraps a stored data key must be in the keyring and must open one of them: a keyring
 * restored from too old a backup, or one whose key bytes were damaged, stops the start instead of
 * failing customer by customer later.
 */
export function checkKeyringCoversData(db: Db, keyring: Keyring, keyringFile: string): void {
  const sample = db.$client
    .prepare('SELECT kek_id AS kekId, id, wrapped_dek AS wrapped FROM customers GROUP BY kek_id')
    .all() as Array<{ kekId: string; id: string; wrapped: Buffer }>;
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
