import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('VAULT_DATABASE_URL', () => {
  it('when it is absent or empty, then the vault uses SQLite in VAULT_DATA_DIR', () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    expect(loadConfig({ VAULT_DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it.each(['postgres://vault:pw@db.internal:5432/vault', 'postgresql://vault@127.0.0.1/vault?sslmode=require'])(
    'when it is %s, then it is taken as given',
    (url) => expect(loadConfig({ VAULT_DATABASE_URL: url }).databaseUrl).toBe(url),
  );

  it.each([
    ['not a URL', 'secret-host/vault', /not a URL/],
    [
      'another scheme',
      'mysql://vault:secret@127.0.0.1/vault',
      /scheme must be postgres:\/\/ or postgresql:\/\/, not mysql:/,
    ],
    ['no host', 'postgres:///vault?password=secret', /names no host/],
    ['no database', 'postgres://vault:secret@127.0.0.1:5432/', /names no database/],
  ])('when it has %s, then configuration fails naming the variable, without repeating the URL', (_, url, why) => {
    const load = () => loadConfig({ VAULT_DATABASE_URL: url });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^invalid configuration: VAULT_DATABASE_URL: /);
    expect(load).toThrow(why);
    expect(load).not.toThrow(/secret/);
  });
});

describe('VAULT_RECORDS_KEPT_MIB', () => {
  it('when it is absent or empty, then 64 MiB; when it is 0, then none; when it is not a whole number of MiB, then it fails', () => {
    expect(loadConfig({}).recordsKeptBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ VAULT_RECORDS_KEPT_MIB: '' }).recordsKeptBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ VAULT_RECORDS_KEPT_MIB: '0' }).recordsKeptBytes).toBe(0);
    for (const bad of ['-1', 'lots', '1.5', '5000'])
      expect(() => loadConfig({ VAULT_RECORDS_KEPT_MIB: bad })).toThrow(/VAULT_RECORDS_KEPT_MIB/);
  });
});
