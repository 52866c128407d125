import type { Backend } from '../db/backend.ts';
import { readAhead, type ReadAheadWanted } from '../db/read-ahead.ts';
import type { ReadAheadPart } from '../db/raw.ts';
import type { DataRequest } from './admission.ts';

/**
 * The reads every company read of a grant (fields, claims, records) makes before it decides, fetched in one round
 * trip at the start of its unit (server/db/read-ahead.ts): the company's refusal count, the token's revocation and
 * family, the grant, the customer the path names, the company's terms version and the grant's usage; with `fields`
 * (a field read, a claim), also the sealed rows of the customer's fields, which it opens once allowed, and the seq of
 * the audit event it will append (such a read sends nothing else before its event, so that seq stands; a records
 * read sends its page query, which would end it and leave a gap). Their keys come from the token's own claims; a claim that turns out not to match
 * (another customer's handle, a grant of another company) only means that part is not served, and the check reads
 * and refuses as it always does. PostgreSQL only: on SQLite a statement is no round trip, and the data service is
 * given no read-ahead at all (not even an await).
 */
export function createUseReadAhead(
  b: Backend,
  d: {
    refusalCount: (companyId: string, now: Date) => ReadAheadPart | undefined;
    tokenState: (jti: string, familyId: string, customerId: string) => ReadAheadPart | undefined;
    grant: (id: string) => ReadAheadPart | undefined;
    customer: (handle: string) => ReadAheadPart | undefined;
    termsVersion: (companyId: string) => ReadAheadPart | undefined;
    usage: (customerId: string, grantId: string, action: string, now: Date) => ReadAheadPart | undefined;
    fields: (customerId: string) => ReadAheadPart | undefined;
  },
) {
  if (b.dialect !== 'postgres') return undefined;
  function wanted(r: DataRequest, now: Date, { fields = false } = {}): ReadAheadWanted {
    const c = r.claims;
    const parts = [d.refusalCount(c.client_id, now)];
    if (c.grant_id && c.fam)
      parts.push(
        d.tokenState(c.jti, c.fam, c.sub),
        d.grant(c.grant_id),
        d.customer(r.handle),
        d.termsVersion(c.client_id),
        d.usage(c.sub, c.grant_id, 'read', now),
        fields ? d.fields(c.sub) : undefined,
      );
    return { parts, seq: fields };
  }
  return {
    /**
     * The unit's reads, declared when it is submitted: its batch may fetch them with the other units' in one round
     * trip (server/db/pg/batch-read-ahead.ts). Keyed by minute and hour, as the unit's own are.
     */
    wanted,
    /** The unit's reads, fetched at its start, unless its batch already fetched all of them for it. */
    fetch(r: DataRequest, now: Date, opts: { fields?: boolean } = {}): Promise<void> {
      const w = wanted(r, now, opts);
      return readAhead(b, w.parts, { seq: w.seq });
    },
  };
}

export type UseReadAhead = NonNullable<ReturnType<typeof createUseReadAhead>>;
