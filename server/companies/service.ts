import type { GroupCommit } from '../db/group-commit.ts';
import type { ReplayStore } from '../db/shared/types.ts';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { ActorKind } from '../audit/chain/event.ts';
import { NotFound, OAuthError } from '../http/errors.ts';
import { createClientAuthenticator } from './client-auth.ts';
import { parseTerms, toCompany } from './company-record.ts';
import { createRegistration } from './registration.ts';
import { newSecret, sha256Hex } from './secrets.ts';
import { createCompanyStore } from './store.ts';
import type { CompaniesDeps, Company, CompanyHooks, TermsVersion } from './types.ts';

const OPERATOR = { kind: 'operator' as ActorKind, id: 'cli' };

/**
 * The companies module: registration (RFC 7591/7592), client authentication (RFC 6749 §2.3,
 * RFC 7523), declared terms and their versions. Other modules call this, never the store (ARCHITECTURE.md, "The modules and their arrows").
 */
export function createCompanies(
  deps: CompaniesDeps,
  audit: AuditAppend,
  commit: GroupCommit | undefined,
  replay: ReplayStore,
) {
  const store = createCompanyStore(deps.backend);
  const hooks: CompanyHooks = { onTermsChanged: [], onDisabled: [] };
  const registration = createRegistration(deps, store, audit, hooks);
  const { authenticateClient } = createClientAuthenticator(deps, store, replay, commit);
  const now = () => deps.clock.now();

  async function byId(id: string): Promise<Company | undefined> {
    const row = await store.companyById(id);
    return row ? toCompany(row) : undefined;
  }

  // A terms version never changes once written, so its parsed form is kept (policy facts on every read).
  const termsCache = new Map<string, TermsVersion>();
  async function termsAt(id: string, version: number): Promise<TermsVersion | undefined> {
    const key = `${id}\u0000${version}`;
    const hit = termsCache.get(key);
    if (hit) return hit;
    const row = await store.termsAt(id, version);
    if (!row) return undefined;
    const t = { version: row.version, terms: parseTerms(row.terms), createdAt: row.createdAt };
    if (termsCache.size >= 10_000) termsCache.clear();
    termsCache.set(key, t);
    return t;
  }
  /**
   * A terms version read inside a transaction that later rolls back was never written: forget what was
   * cached for that company, so the number is not answered with terms that do not exist.
   */
  function forgetTermsOf(id: string): void {
    for (const key of termsCache.keys()) if (key.startsWith(`${id}\u0000`)) termsCache.delete(key);
  }

  /** Disables a company and, in the same transaction, lets the grants module revoke what it holds. */
  function disable(id: string, actor: { kind: ActorKind; id: string } = OPERATOR): Promise<Company> {
    return deps.backend.inTransaction(async () => {
      const row = await store.companyById(id);
      if (!row) throw new NotFound('No company with this client id');
      if (row.status === 'disabled') return toCompany(row);
      await store.updateCompany(id, { status: 'disabled' });
      await audit({ action: 'company.disabled', actor, companyId: id });
      for (const hook of hooks.onDisabled) await hook(id, actor);
      return { ...toCompany(row), status: 'disabled' };
    });
  }

  return {
    /** Register hooks here; they run inside the transaction of the change (see CompanyHooks). */
    hooks,

    /** A single-use token the operator hands to a company so that it can register (RFC 7591 §3). */
    async issueInitialAccessToken(label: string, ttlHours = 24): Promise<{ token: string; expiresAt: string }> {
      if (!Number.isFinite(ttlHours) || ttlHours <= 0 || ttlHours > 24 * 90)
        throw new RangeError('ttlHours must be between 0 and 2160');
      const token = newSecret();
      const createdAt = now();
      const expiresAt = new Date(createdAt.getTime() + ttlHours * 3600_000).toISOString();
      await store.insertInitialToken({
        tokenHash: sha256Hex(token),
        label: label.slice(0, 200),
        createdAt: createdAt.toISOString(),
        expiresAt,
      });
      return { token, expiresAt };
    },

    register: registration.register,
    read: registration.read,
    async update(...args: Parameters<typeof registration.update>) {
      try {
        return await registration.update(...args);
      } catch (e) {
        forgetTermsOf(args[0]);
        throw e;
      }
    },
    /** RFC 7592 §2.3: a company deregisters itself; the vault keeps the row, disabled, for the audit trail. */
    async deregister(clientId: string, registrationAccessToken: string | undefined): Promise<void> {
      const row = await registration.managed(clientId, registrationAccessToken);
      await disable(row.id, { kind: 'company', id: row.id });
    },

    authenticateClient,
    /**
     * The replay cache of DPoP proof ids (RFC 9449 §11.1; client assertions use the same store in
     * client-auth.ts): records the id until it expires; false when it was already there.
     */
    claimJti: (jti: string, expiresAt: string): Promise<boolean> => replay.firstUse('dpop', jti, expiresAt),
    purgeExpiredJtis: (nowIso: string): Promise<number> => replay.purgeExpired(nowIso),
    /** Initial access tokens past their end, used or not: a registration is in the audit trail already. */
    purgeExpiredInitialTokens: (nowIso: string): Promise<number> => store.purgeExpiredInitialTokens(nowIso),

    byId,
    /** The company, if it exists and is active; otherwise the 401 a client endpoint gives. */
    async requireActive(id: string): Promise<Company> {
      const c = await byId(id);
      if (!c || c.status !== 'active') throw new OAuthError(401, 'invalid_client', 'The client is unknown or disabled');
      return c;
    },
    /** currentTerms' version, fetched ahead with the unit's other reads (server/db/read-ahead.ts). */
    currentTermsAhead: (id: string) => store.currentTermsVersionAhead(id),
    async currentTerms(id: string): Promise<TermsVersion> {
      const version = await store.currentTermsVersion(id);
      const t = version === undefined ? undefined : await termsAt(id, version);
      if (!t) throw new NotFound('No company with this client id');
      return t;
    },
    termsAt,
    /** The name the company had at `at` (ISO time), for past events; its current name if none is recorded. */
    nameAt: async (id: string, at: string): Promise<string | undefined> =>
      (await store.nameAt(id, at)) ?? (await byId(id))?.name,
    list: async (): Promise<Company[]> => (await store.allCompanies()).map(toCompany),
    disable,
  };
}

export type Companies = ReturnType<typeof createCompanies>;
