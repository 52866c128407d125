import { toGrant, type Grant, type Grants } from '../grants/service.ts';
import { NotFound, OAuthError, type VaultError } from '../http/errors.ts';
import { categoriesOf } from '../oauth/details.ts';
import type { RevokedJtis } from '../oauth/revoked-jtis.ts';
import type { OAuthStore } from '../oauth/store.ts';
import type { AccessClaims } from '../oauth/tokens.ts';
import type { Action } from '../policy/types.ts';
import { isRecordCategory, recordSpec } from './record-catalogue.ts';

/** One use of a grant, as the company asked for it. */
export interface Use {
  action: Action;
  /** The profile fields a read names (a deposit names none). */
  fields: string[];
  /** The category of a deposited record (server/data/record-catalogue.ts). */
  category?: string;
  /** The record categories a records read asks for. */
  recordCategories?: string[];
  /** Audit a refusal of the token or grant itself too (record uses, issue 15). */
  auditTokenRefusal?: boolean;
}

/** A refusal in the audit's closed vocabulary: a stable code and a fixed sentence (or catalogue names). */
export interface GrantRefusal {
  code: string;
  message: string;
}

/**
 * What the grant row itself allows, checked on every use before the policy is asked: each check is a
 * reason code, a sentence and a predicate. The action comes first: a grant that lists only `deposit`
 * releases nothing, whatever fields it names (SECURITY.md "Company reads").
 */
const USE_CHECKS: { code: string; message: (g: Grant, u: Use) => string; refuses: (g: Grant, u: Use) => boolean }[] = [
  {
    code: 'READ_NOT_GRANTED',
    message: () => 'This grant does not allow reading.',
    refuses: (g, u) => u.action === 'read' && !g.actions.includes('read'),
  },
  {
    code: 'DEPOSIT_NOT_GRANTED',
    message: () => 'This grant does not allow depositing records.',
    refuses: (g, u) => u.action === 'deposit' && !g.actions.includes('deposit'),
  },
  {
    code: 'OUT_OF_SCOPE',
    message: (g, u) => `Fields outside the grant: ${u.fields.filter((f) => !g.fields.includes(f)).join(', ')}`,
    refuses: (g, u) => u.fields.some((f) => !g.fields.includes(f)),
  },
  {
    code: 'OUT_OF_SCOPE',
    message: (_g, u) => `Category ${u.category} is outside the grant`,
    // A grant covers a record category through a field of the category's policy category (deposit:purchase_history)
    // or by naming it in its customer_records entry.
    refuses: (g, u) =>
      u.category !== undefined &&
      !(isRecordCategory(u.category) && categoriesOf(g.fields).includes(recordSpec(u.category).policy)) &&
      !g.records?.categories.includes(u.category),
  },
  {
    code: 'RECORDS_NOT_GRANTED',
    message: (g, u) =>
      `Record categories outside the grant: ${(u.recordCategories ?? []).filter((c) => !g.records?.categories.includes(c)).join(', ')}`,
    refuses: (g, u) => (u.recordCategories ?? []).some((c) => !g.records?.categories.includes(c)),
  },
];

/** The first thing the grant itself does not allow for this use, if any. */
export function refusalOf(g: Grant, use: Use): GrantRefusal | undefined {
  const c = USE_CHECKS.find((x) => x.refuses(g, use));
  return c && { code: c.code, message: c.message(g, use) };
}

const invalid = (msg: string, scheme: 'Bearer' | 'DPoP') => new OAuthError(401, 'invalid_token', msg, scheme);

/** What the unit's first check read of the access token: whether its jti is revoked, and its family. */
export type TokenState = Awaited<ReturnType<OAuthStore['jtiAndFamily']>>;

/**
 * Checks a verified access token against the database, inside the request's unit: `revoked`, the unit's first
 * check, the token's jti (RFC 7009 revocation) and its family; then `liveGrant`, the family, the grant row and its
 * state, and the customer the path names. Answers the live (or suspended) grant, or the refusal to send. An expiry
 * found here is committed.
 */
export function createGrantCheck(d: {
  grants: Grants;
  oauth: OAuthStore;
  customerIdByHandle: (h: string) => Promise<string | undefined>;
  revokedJtis: RevokedJtis;
}) {
  return {
    /**
     * The token's state, or the refusal of a revoked token. The data API's authenticator leaves this check to the
     * unit (server/app.ts): checked here, it also covers a revocation committed after the token was verified, and
     * on PostgreSQL it is read ahead with the unit's other reads instead of costing a round trip of its own.
     */
    async revoked(c: AccessClaims, scheme: 'Bearer' | 'DPoP'): Promise<TokenState | VaultError | undefined> {
      // A token that names no grant (the vault issues none to the data API) is refused by liveGrant; its jti is
      // still checked first, so that no revoked token gets further than here.
      const state = c.grant_id && c.fam ? await d.oauth.jtiAndFamily(c.jti, c.fam, c.sub) : undefined;
      if (!(state ? state.jtiRevoked : await d.oauth.isJtiRevoked(c.jti))) return state;
      d.revokedJtis.add(c.jti, c.exp * 1000);
      return invalid('the access token has been revoked', scheme);
    },

    async liveGrant(
      c: AccessClaims,
      scheme: 'Bearer' | 'DPoP',
      handle: string,
      token: TokenState | undefined,
    ): Promise<Grant | VaultError> {
      if (!c.grant_id || !c.fam || !token) return invalid('this token does not name a grant', scheme);
      const fam = token.family;
      if (!fam || fam.revokedAt || fam.grantId !== c.grant_id)
        return invalid('the token family has been revoked', scheme);
      const row = await d.grants.store.byId(c.grant_id);
      if (!row || row.companyId !== c.client_id) return invalid('the grant does not exist', scheme);
      const fresh = await d.grants.refresh(row);
      if (fresh.status === 'revoked') return invalid('the grant has been revoked', scheme);
      if (fresh.status === 'expired') return invalid('the grant has expired', scheme);
      const g = toGrant(fresh);
      // Company A's token never reaches customer B: another customer's handle is simply not found.
      if ((await d.customerIdByHandle(handle)) !== g.customerId)
        return new NotFound('No such customer under this grant');
      return g;
    },
  };
}

export type GrantCheck = ReturnType<typeof createGrantCheck>;
