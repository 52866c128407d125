import type { GrantRow } from '../grants/store.ts';
import type { Action } from '../policy/types.ts';
import { toAuthorizationDetails, toScope, type AccessRequest } from './details.ts';
import type { AccessClaims } from './tokens.ts';

type Granted = Pick<AccessClaims, 'scope' | 'authorization_details' | 'exp'>;

/**
 * What an access token may do now (RFC 7662 §2.2: the answer describes the token as it stands). A customer may
 * narrow a grant after its tokens were issued (fewer fields or actions, an earlier end); every use re-checks the
 * grant row, so introspection answers from it too: the token's access intersected with the grant's, its `exp`
 * no later than the grant's end. `undefined` when nothing remains. An unnarrowed token keeps its own claims, so
 * the usual answer costs two small JSON parses of the row the caller already read.
 */
export function accessNow(claims: Granted, g: Pick<GrantRow, 'purpose' | 'fields' | 'actions' | 'expiresAt'>) {
  const exp = Math.min(claims.exp, Math.floor(Date.parse(g.expiresAt) / 1000));
  const details = claims.authorization_details;
  const data = details?.find((e) => e.type === 'customer_data');
  if (!details || !data || !('fields' in data)) return { scope: claims.scope, authorization_details: details, exp };
  if (data.purpose !== g.purpose) return undefined;
  const grantFields = new Set(JSON.parse(g.fields) as string[]);
  const grantActions = new Set(JSON.parse(g.actions) as Action[]);
  const fields = data.fields.filter((f) => grantFields.has(f));
  const actions = data.actions.filter((a) => grantActions.has(a));
  if (fields.length === data.fields.length && actions.length === data.actions.length)
    return { scope: claims.scope, authorization_details: details, exp };
  // Claims are answered only to a grant that can read (server/oauth/details.ts).
  const claimsLeft = actions.includes('read') ? data.claims : undefined;
  const records = details.find((e) => e.type === 'customer_records');
  if (actions.length === 0 || (fields.length === 0 && !claimsLeft?.length && !records)) return undefined;
  const request: AccessRequest = {
    purpose: data.purpose,
    fields,
    actions,
    durationDays: Number(data.duration.slice(1, -1)),
    ...(records && 'categories' in records
      ? { records: { categories: records.categories, window: records.window, sources: records.sources } }
      : {}),
    ...(claimsLeft?.length ? { claims: claimsLeft } : {}),
  };
  return { scope: toScope(request), authorization_details: toAuthorizationDetails(request), exp };
}
