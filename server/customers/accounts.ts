import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { AuditAppend } from '../audit/chain/append.ts';
import { Conflict, Unauthenticated } from '../http/errors.ts';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password.ts';
import type { CustomerStore } from './store.ts';
import { sealField } from '../crypto/field-cipher.ts';

export const credentialsSchema = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(10, 'at least 10 characters').max(200),
});
export type Credentials = z.infer<typeof credentialsSchema>;

export type SubjectKind = 'customer' | 'auditor';
export interface Session {
  kind: SubjectKind;
  subjectId: string;
  /** Derived from the session token, never stored: the dashboard gets it again from GET /api/session. */
  csrfToken: string;
  /** SHA-256 of the CSRF token (hex), the only form the database keeps. */
  csrfHash: string;
  idHash: string;
}

const SESSION_HOURS = 12;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const normaliseEmail = (e: string) => e.trim().toLowerCase();
/**
 * The session's CSRF token: an HMAC of the session token, so the server can hand it out again (GET
 * /api/session) while the database holds only its SHA-256, from which neither token can be recovered.
 */
const csrfTokenOf = (sessionToken: string) => createHmac('sha256', sessionToken).update('csrf').digest('base64url');

/** Public vault handle: stable, unguessable enough not to enumerate, easy to read out. */
function newHandle(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return `vh-${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export function createAccounts(
  ctx: Pick<AppContext, 'backend' | 'keyring' | 'clock'>,
  store: CustomerStore,
  audit: AuditAppend,
) {
  const now = () => ctx.clock.now();

  async function openSession(kind: SubjectKind, subjectId: string): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = csrfTokenOf(token);
    const csrfHash = sha256(csrfToken);
    const idHash = sha256(token);
    const expiresAt = new Date(now().getTime() + SESSION_HOURS * 3600_000).toISOString();
    // An auditor's session belongs to no customer: its customer_id stays null (server/db/tables.ts).
    const customerId = kind === 'customer' ? subjectId : null;
    const createdAt = now().toISOString();
    await store.insertSession({ idHash, subjectKind: kind, subjectId, customerId, csrfHash, createdAt, expiresAt });
    return { token, session: { kind, subjectId, csrfToken, csrfHash, idHash } };
  }

  return {
    async signUp(c: Credentials) {
      const loginIndex = ctx.keyring.blindIndex(normaliseEmail(c.email));
      const passwordHash = await hashPassword(c.password);
      const id = randomUUID();
      const dek = randomBytes(32);
      const { kekId, wrapped } = ctx.keyring.wrapDek(id, dek);
      const handle = newHandle();
      await ctx.backend.inTransaction(async () => {
        if ((await store.customerByLogin(loginIndex)) || (await store.auditorByLogin(loginIndex)))
          throw new Conflict('An account with this e-mail already exists');
        await store.insertCustomer({
          id,
          handle,
          loginIndex,
          passwordHash,
          kekId,
          wrappedDek: wrapped,
          createdAt: now().toISOString(),
        });
        // The e-mail itself is kept only inside the encrypted profile.
        await store.upsertField({
          customerId: id,
          field: 'email',
          version: 1,
          sealed: sealField(dek, { customerId: id, field: 'email', version: 1 }, normaliseEmail(c.email)),
          updatedAt: now().toISOString(),
        });
      });
      dek.fill(0);
      return { id, handle, ...(await openSession('customer', id)) };
    },

    /** One generic failure for unknown account and wrong password; both pay the same scrypt cost. */
    async signIn(c: Credentials, requestId?: string) {
      const loginIndex = ctx.keyring.blindIndex(normaliseEmail(c.email));
      const customer = await store.customerByLogin(loginIndex);
      const auditor = customer ? undefined : await store.auditorByLogin(loginIndex);
      const account = customer ?? auditor;
      const ok = await verifyPassword(c.password, account?.passwordHash ?? DUMMY_HASH);
      if (!account || !ok) throw new Unauthenticated('The e-mail or password is wrong');
      const kind: SubjectKind = customer ? 'customer' : 'auditor';
      return ctx.backend.inTransaction(async () => {
        await audit({
          action: 'customer.signin',
          actor: { kind, id: account.id },
          customerId: customer?.id,
          requestId,
        });
        return { kind, id: account.id, handle: customer?.handle, ...(await openSession(kind, account.id)) };
      });
    },

    async signOut(session: Session) {
      await store.deleteSession(session.idHash);
    },

    /** Resolves a session cookie; expired or unknown sessions are simply absent. */
    async sessionFromToken(token: string | undefined): Promise<Session | undefined> {
      if (!token || token.length > 100) return undefined;
      const idHash = sha256(token);
      const row = await store.sessionByHash(idHash);
      if (!row || row.expiresAt <= now().toISOString()) return undefined;
      const csrfToken = csrfTokenOf(token);
      return { kind: row.subjectKind, subjectId: row.subjectId, csrfToken, csrfHash: row.csrfHash, idHash };
    },

    /** Compares hashes (always 32 bytes) in constant time against the stored one (SECURITY.md "Passwords and sessions"). */
    checkCsrf(session: Session, presented: string | undefined): boolean {
      if (!presented || presented.length > 200) return false;
      const stored = Buffer.from(session.csrfHash, 'hex');
      const given = createHash('sha256').update(presented).digest();
      return stored.length === given.length && timingSafeEqual(stored, given);
    },

    async createAuditor(c: Credentials) {
      const loginIndex = ctx.keyring.blindIndex(normaliseEmail(c.email));
      const passwordHash = await hashPassword(c.password);
      const id = randomUUID();
      await ctx.backend.inTransaction(async () => {
        if ((await store.customerByLogin(loginIndex)) || (await store.auditorByLogin(loginIndex)))
          throw new Conflict('An account with this e-mail already exists');
        await store.insertAuditor({ id, loginIndex, passwordHash, createdAt: now().toISOString() });
      });
      return { id };
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
