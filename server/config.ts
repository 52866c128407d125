import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Configuration comes from the environment, validated once at start-up. Every value has an embedded
 * default so that `npm start` works on a fresh machine: data in ./data, keys generated there.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VAULT_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VAULT_HOST: z.string().min(1).default('127.0.0.1'),
  VAULT_DATA_DIR: z.string().min(1).default('./data'),
  // PostgreSQL instead of the embedded SQLite file (README "Storage"); checked by parseDatabaseUrl.
  VAULT_DATABASE_URL: z.string().optional(),
  VAULT_PUBLIC_URL: z.url().optional(),
  VAULT_MASTER_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]{43}=?$/, 'must be 32 bytes in base64 or base64url')
    .optional(),
  VAULT_SYNCHRONOUS: z.enum(['GROUP', 'FULL', 'NORMAL']).default('GROUP'),
  VAULT_POLICIES_DIR: z.string().min(1).default('policies'),
  VAULT_TRUST_PROXY: z.enum(['0', '1']).default('0'),
  VAULT_ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(3600).default(300),
  // Connection bounds of the listening server (SECURITY.md "Floods and bounds").
  VAULT_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  VAULT_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(256),
  VAULT_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(50).max(600_000).default(10_000),
  VAULT_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  VAULT_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
  // Grant-event pushes to loopback/private addresses: off unless asked for (SECURITY.md "Grant events").
  VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES: z.enum(['0', '1']).default('0'),
  // Records opened by company reads, kept in memory (SECURITY.md "Records"); 0 keeps none.
  VAULT_RECORDS_KEPT_MIB: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).max(4096).default(64),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** postgres:// URL when PostgreSQL is the back end (README "Storage"); absent: SQLite in dataDir. */
  databaseUrl?: string;
  /** The issuer and the base of every absolute URL we publish (RFC 8414 §2). */
  publicUrl: string;
  masterKey?: string;
  /** How audited writes reach the disk; see server/db/group-commit.ts. */
  synchronous: 'GROUP' | 'FULL' | 'NORMAL';
  policiesDir: string;
  trustProxy: boolean;
  /** Whether cookies get the Secure flag: true when served over https. */
  secureCookies: boolean;
  accessTokenTtlSeconds: number;
  server: ServerLimits;
  /** Grant events may be pushed to loopback and private networks (development and tests only). */
  eventsAllowPrivateAddresses: boolean;
  /** Memory for the records company reads have opened (server/data/record-tails.ts); absent: its default. */
  recordsKeptBytes?: number;
  logLevel: string;
  production: boolean;
}

/** How many connections the listening server holds, and how long it waits for each (server/http/server.ts). */
export interface ServerLimits {
  maxConnections: number;
  /** 0: no per-address cap (behind a proxy every connection comes from the proxy). */
  maxConnectionsPerIp: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.VAULT_HEADERS_TIMEOUT_MS > e.VAULT_REQUEST_TIMEOUT_MS)
    throw new ConfigError('invalid configuration: VAULT_HEADERS_TIMEOUT_MS: must not exceed VAULT_REQUEST_TIMEOUT_MS');
  const port = e.PORT ?? e.VAULT_PORT ?? 3000;
  const publicUrl = (
    e.VAULT_PUBLIC_URL ?? `http://${e.VAULT_HOST === '0.0.0.0' ? '127.0.0.1' : e.VAULT_HOST}:${port}`
  ).replace(/\/$/, '');
  return {
    port,
    host: e.VAULT_HOST,
    dataDir: resolve(e.VAULT_DATA_DIR),
    databaseUrl: parseDatabaseUrl(e.VAULT_DATABASE_URL),
    publicUrl,
    masterKey: e.VAULT_MASTER_KEY,
    synchronous: e.VAULT_SYNCHRONOUS,
    policiesDir: resolve(e.VAULT_POLICIES_DIR),
    trustProxy: e.VAULT_TRUST_PROXY === '1',
    secureCookies: publicUrl.startsWith('https://'),
    accessTokenTtlSeconds: e.VAULT_ACCESS_TOKEN_TTL,
    server: {
      maxConnections: e.VAULT_MAX_CONNECTIONS,
      maxConnectionsPerIp: e.VAULT_TRUST_PROXY === '1' ? 0 : e.VAULT_MAX_CONNECTIONS_PER_IP,
      headersTimeoutMs: e.VAULT_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.VAULT_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.VAULT_KEEP_ALIVE_TIMEOUT_MS,
    },
    eventsAllowPrivateAddresses: e.VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES === '1',
    recordsKeptBytes: e.VAULT_RECORDS_KEPT_MIB * 1024 * 1024,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
  };
}

/**
 * VAULT_DATABASE_URL must be a postgres:// (or postgresql://) URL naming a host and a database. An empty
 * value means "not set". Messages never repeat the URL: it may carry a password.
 */
function parseDatabaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const bad = (why: string) => new ConfigError(`invalid configuration: VAULT_DATABASE_URL: ${why}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('not a URL; expected postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw bad(`the scheme must be postgres:// or postgresql://, not ${url.protocol.slice(0, 20)}//`);
  if (!url.hostname) throw bad('names no host; expected postgres://user:password@host:5432/database');
  if (url.pathname.length <= 1) throw bad('names no database; expected postgres://user:password@host:5432/database');
  return raw;
}
