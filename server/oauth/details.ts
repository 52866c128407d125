import { z } from 'zod';
import { claimParameter, claimRequestSchema, CLAIMS, type ClaimRequest } from '../claims/catalogue.ts';
import { FIELD_CATALOGUE, isFieldName } from '../customers/field-catalogue.ts';
import { OAuthError } from '../http/errors.ts';
import { actionSchema, kebabIdSchema, type Action, type Category } from '../policy/types.ts';
import { recordDetailSchema, sameRecordAccess, type RecordAccess } from './record-access.ts';

/**
 * What a company asks for, as RFC 9396 authorization_details of type `customer_data`:
 *   [{ "type": "customer_data", "purpose": "order-fulfilment", "fields": ["email"], "actions": ["read"], "duration": "P30D" }]
 * `duration` is an ISO 8601 duration in days ("P30D") or a number of days. A plain `scope` maps onto the
 * same: "purpose:order-fulfilment read:email read:phone deposit duration:30" (read, and deposit too), or
 * "purpose:order-fulfilment deposit:purchase_history duration:30" (deposit only: the scope never says
 * `read` for a grant that cannot read).
 */
export interface AccessRequest {
  purpose: string;
  fields: string[];
  actions: Action[];
  durationDays: number;
  /** Records the grant covers (a `customer_records` entry), if any: see record-access.ts. */
  records?: RecordAccess;
  /** Answers asked for instead of values (server/claims/catalogue.ts); absent when none. */
  claims?: ClaimRequest[];
}

/**
 * Whether two requests ask for the same access: the same purpose and duration, and the same fields and actions
 * in whatever order and however often they were listed (a reordered repeat is still a repeat).
 */
export function sameAccess(a: AccessRequest, b: AccessRequest): boolean {
  const sameSet = (x: string[], y: string[]) => {
    const [sx, sy] = [new Set(x), new Set(y)];
    return sx.size === sy.size && [...sx].every((v) => sy.has(v));
  };
  return (
    a.purpose === b.purpose &&
    a.durationDays === b.durationDays &&
    sameSet(a.fields, b.fields) &&
    sameSet(a.actions, b.actions) &&
    sameRecordAccess(a.records, b.records) &&
    sameSet((a.claims ?? []).map(claimKey), (b.claims ?? []).map(claimKey))
  );
}

const durationSchema = z.union([
  z.number().int().min(1).max(3650),
  z
    .string()
    .regex(/^P\d{1,4}D$/, 'expected an ISO 8601 duration in days such as "P30D"')
    .transform((s) => Number(s.slice(1, -1))),
]);

const claimKey = (c: ClaimRequest) => `${c.name}:${claimParameter(c)}`;

/** One claim per name: a grant answers `age_over` for one age, so a second one would be ambiguous. */
const claimsSchema = z
  .array(claimRequestSchema)
  .min(1)
  .max(20)
  .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, 'each claim may be asked for once');

const detailSchema = z
  .strictObject({
    type: z.literal('customer_data'),
    purpose: kebabIdSchema,
    fields: z.array(z.string().refine(isFieldName, 'unknown field')).max(50).default([]),
    claims: claimsSchema.optional(),
    actions: z.array(actionSchema).min(1).default(['read']),
    duration: durationSchema,
  })
  .refine((d) => d.fields.length > 0 || d.claims !== undefined, {
    message: 'name at least one field or one claim',
    path: ['fields'],
  })
  .refine((d) => d.claims === undefined || d.actions.includes('read'), {
    message: 'claims are answered to a grant that can read',
    path: ['actions'],
  });

const invalid = (msg: string) => new OAuthError(400, 'invalid_authorization_details', msg);

export function parseAuthorizationDetails(raw: string): AccessRequest {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw invalid('authorization_details is not valid JSON');
  }
  // One customer_data entry, and at most one customer_records entry (record-access.ts), in either order.
  const entries = Array.isArray(json) ? (json as unknown[]) : [];
  const typeOf = (e: unknown) => (e && typeof e === 'object' ? (e as { type?: unknown }).type : undefined);
  const dataAt = entries.findIndex((e) => typeOf(e) !== 'customer_records');
  const recordsAt = entries.findIndex((e) => typeOf(e) === 'customer_records');
  if (!Array.isArray(json) || dataAt < 0 || json.length !== (recordsAt < 0 ? 1 : 2))
    throw invalid(
      'authorization_details must be an array with exactly one customer_data entry and at most one customer_records entry',
    );
  const problems = (at: number, issues: { path: PropertyKey[]; message: string }[]) =>
    invalid(issues.map((i) => `${[`authorization_details[${at}]`, ...i.path].join('.')}: ${i.message}`).join('; '));
  const r = detailSchema.safeParse(json[dataAt]);
  if (!r.success) throw problems(dataAt, r.error.issues);
  const rec = recordsAt < 0 ? undefined : recordDetailSchema.safeParse(json[recordsAt]);
  if (rec && !rec.success) throw problems(recordsAt, rec.error.issues);
  const d = r.data;
  return {
    purpose: d.purpose,
    fields: [...new Set(d.fields)],
    actions: [...new Set(d.actions)],
    durationDays: d.duration,
    ...(rec?.data
      ? {
          records: {
            categories: [...new Set(rec.data.categories)],
            window: rec.data.window,
            sources: rec.data.sources === 'any' ? 'any' : [...new Set(rec.data.sources)],
          },
        }
      : {}),
    ...(d.claims ? { claims: d.claims } : {}),
  };
}

export function parseScope(scope: string): AccessRequest {
  const req: AccessRequest = { purpose: '', fields: [], actions: [], durationDays: 30 };
  const fieldsBy = { read: [] as string[], deposit: [] as string[] };
  let alsoDeposit = false;
  const claims: ClaimRequest[] = [];
  for (const tok of scope.split(' ').filter(Boolean)) {
    const [k, v] = tok.split(':', 2);
    if (k === 'claim') claims.push(scopeClaim(tok));
    else if (k === 'purpose' && v && kebabIdSchema.safeParse(v).success) req.purpose = v;
    else if ((k === 'read' || k === 'deposit') && v && isFieldName(v)) fieldsBy[k].push(v);
    else if (k === 'deposit' && v === undefined) alsoDeposit = true;
    else if (k === 'duration' && v && /^\d{1,4}$/.test(v) && Number(v) >= 1) req.durationDays = Number(v);
    else throw new OAuthError(400, 'invalid_scope', `unknown scope token "${tok.slice(0, 60)}"`);
  }
  // A grant's actions cover all its fields, so one scope names its fields one way only.
  if (fieldsBy.read.length && fieldsBy.deposit.length)
    throw new OAuthError(
      400,
      'invalid_scope',
      'use read:<field> (with `deposit` to add records too) or deposit:<field> (deposit only), not both',
    );
  if (claims.length) {
    if (fieldsBy.deposit.length)
      throw new OAuthError(400, 'invalid_scope', 'claims are answered to a grant that can read');
    if (new Set(claims.map((c) => c.name)).size !== claims.length)
      throw new OAuthError(400, 'invalid_scope', 'each claim may be asked for once');
    req.claims = claims;
  }
  if (fieldsBy.read.length || claims.length) {
    req.fields = fieldsBy.read;
    req.actions = alsoDeposit ? ['read', 'deposit'] : ['read'];
  } else {
    req.fields = fieldsBy.deposit;
    req.actions = ['deposit'];
  }
  if (!req.purpose || (req.fields.length === 0 && !req.claims))
    throw new OAuthError(
      400,
      'invalid_scope',
      'scope needs purpose:<id> and at least one read:<field> (or deposit:<field>)',
    );
  req.fields = [...new Set(req.fields)];
  return req;
}

/** `claim:<name>:<parameter>`, e.g. `claim:age_over:18`, `claim:country_in:EU,CH`, `claim:has_field:email`. */
function scopeClaim(tok: string): ClaimRequest {
  const [, name, param] = tok.split(':', 3);
  const bad = (why: string) => new OAuthError(400, 'invalid_scope', `${why} in scope token "${tok.slice(0, 60)}"`);
  if (!name || !Object.hasOwn(CLAIMS, name)) throw bad('unknown claim');
  const r = claimRequestSchema.safeParse({
    name,
    value: param === undefined ? undefined : CLAIMS[name as keyof typeof CLAIMS].fromScope(param),
  });
  if (!r.success) throw bad(`bad parameter (${r.error.issues[0]?.message ?? 'invalid'})`);
  return r.data;
}

export function toAuthorizationDetails(r: AccessRequest) {
  return [
    {
      type: 'customer_data' as const,
      purpose: r.purpose,
      fields: r.fields,
      ...(r.claims?.length ? { claims: r.claims } : {}),
      actions: r.actions,
      duration: `P${r.durationDays}D`,
    },
    ...(r.records ? [{ type: 'customer_records' as const, ...r.records }] : []),
  ];
}

/** The scope string of a grant: `read:<field>` only when it can read, `deposit:<field>` when it can only deposit. */
export const toScope = (r: AccessRequest) => {
  const reads = r.actions.includes('read');
  return [
    `purpose:${r.purpose}`,
    ...r.fields.map((f) => `${reads ? 'read' : 'deposit'}:${f}`),
    ...(reads && r.actions.includes('deposit') ? ['deposit'] : []),
    ...(r.claims ?? []).map((c) => `claim:${c.name}:${claimParameter(c)}`),
    `duration:${r.durationDays}`,
  ].join(' ');
};

export function categoriesOf(fields: readonly string[]): Category[] {
  return [...new Set(fields.filter(isFieldName).map((f) => FIELD_CATALOGUE[f].category))];
}
