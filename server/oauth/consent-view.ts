import type { AppContext } from '../context.ts';
import { FIELD_CATALOGUE, isFieldName } from '../customers/field-catalogue.ts';
import type { Decide, FactSources } from '../grants/decide.ts';
import { NotFound } from '../http/errors.ts';
import { isSensitive, maxDurationDays, purposeOf } from '../policy/load.ts';
import type { Authorization, ClientDirectory } from './authorize.ts';
import { categoriesOf } from './details.ts';
import { claimCategoriesOf, claimSentence, CLAIMS, type ClaimRequest } from '../claims/catalogue.ts';
import { createClaimAnswerer } from '../claims/answer.ts';
import type { AuthRequestRow, OAuthStore } from './store.ts';
import { recordSpec } from '../data/record-catalogue.ts';
import { windowChoices, windowText, type RecordAccess } from './record-access.ts';

/** What the consent screen shows: who asks, for what, for how long, under which terms, and the policy's view. */
export function createConsentViews(
  ctx: AppContext,
  d: {
    authz: Authorization;
    clients: ClientDirectory;
    sources: FactSources;
    decide: Decide;
    store: OAuthStore;
    /** The customer's own values of the named fields they have filled in (the profile service). */
    valuesOf: (customerId: string, names: readonly string[]) => Promise<Record<string, unknown>>;
    /** The companies that deposited records of these categories in the customer's vault (sources to choose). */
    recordSources: (customerId: string, categories: string[]) => Promise<string[]>;
  },
) {
  const nameOf = async (id: string) => ({ id, name: (await d.clients.byId(id))?.name ?? id });

  /**
   * The records a request asks for, in words ("Purchases from the last 12 months, from every company"), with
   * the shorter windows and the sources the customer may narrow to (RFC 9396 §3: the customer approves less).
   */
  async function recordsView(customerId: string, r: RecordAccess) {
    const labels = r.categories.map((c) => recordSpec(c).label);
    const from =
      r.sources === 'any'
        ? 'from every company'
        : `from ${(await Promise.all(r.sources.map(async (s) => (await nameOf(s)).name))).join(', ')}`;
    return {
      categories: r.categories.map((c, i) => ({ name: c, label: labels[i]! })),
      window: r.window,
      windowText: windowText(r.window),
      windows: windowChoices(r.window),
      sources: r.sources,
      sourceChoices: await Promise.all(
        (r.sources === 'any' ? await d.recordSources(customerId, r.categories) : r.sources).map(nameOf),
      ),
      sentence: `${labels.join(', ')} from ${windowText(r.window)}, ${from}`,
    };
  }

  /**
   * What would be shared: the customer's own value of each requested field, or null where they have not
   * filled it in. Only the consent screen of one request opens them; the request lists do not.
   */
  async function preview(customerId: string, names: string[]) {
    const values = await d.valuesOf(customerId, names);
    return Object.fromEntries(names.map((n) => [n, n in values ? values[n] : null]));
  }

  const answers = createClaimAnswerer(ctx);
  /** The claims in words, with the answer each would give today from the customer's own profile. */
  async function claimPreview(customerId: string, company: string, claims: ClaimRequest[]) {
    return await Promise.all(
      claims.map(async (c) => ({
        ...describeClaim(company, c),
        answer: answers.answer(c, await d.valuesOf(customerId, answers.fieldsOf(c))).result,
      })),
    );
  }

  async function view(row: AuthRequestRow, customerId: string) {
    const client = await d.clients.byId(row.companyId);
    if (!client) throw new NotFound('No such request');
    const req = d.authz.details(row);
    const { version, terms } = await d.sources.termsOf(row.companyId);
    const categories = [...categoriesOf(req.fields), ...claimCategoriesOf(req.claims)];
    return {
      id: row.id,
      status: row.status,
      mode: row.mode,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      company: {
        id: client.id,
        name: client.name,
        // A connected product (RFC 8628) is shown as "<product>, by <company>".
        ...(row.mode === 'device' && client.productName ? { product: client.productName } : {}),
        terms: { version, ...terms },
      },
      request: {
        purpose: req.purpose,
        purposeDescription: purposeOf(ctx.policies, req.purpose)?.description ?? req.purpose,
        fields: req.fields.filter(isFieldName).map((f) => ({
          name: f,
          label: FIELD_CATALOGUE[f].label,
          category: FIELD_CATALOGUE[f].category,
          sensitive: isSensitive(ctx.policies, FIELD_CATALOGUE[f].category),
        })),
        claims: (req.claims ?? []).map((c) => describeClaim(client.name, c)),
        ...(req.records ? { records: await recordsView(customerId, req.records) } : {}),
        actions: req.actions,
        durationDays: req.durationDays,
        maxDurationDays: Math.min(req.durationDays, maxDurationDays(ctx.policies, req.purpose, categories)),
      },
      decision: await d.decide('approve', { customerId, companyId: row.companyId, request: req }),
    };
  }

  return {
    async consentView(customerId: string, id: string) {
      const row = await d.authz.pendingFor(customerId, id);
      const v = await view(row, customerId);
      const values = await preview(
        customerId,
        v.request.fields.map((f) => f.name),
      );
      const claims = await claimPreview(customerId, v.company.name, d.authz.details(row).claims ?? []);
      return {
        ...v,
        request: {
          ...v.request,
          fields: v.request.fields.map((f) => ({ ...f, value: values[f.name] ?? null })),
          claims,
        },
      };
    },
    async pendingRequests(customerId: string) {
      return await Promise.all(
        (await d.store.pendingForCustomer(customerId))
          .filter((r) => r.expiresAt > ctx.clock.now().toISOString())
          .map((r) => view(r, customerId)),
      );
    },
  };
}

export type ConsentViews = ReturnType<typeof createConsentViews>;

/** A claim as the consent screen shows it: "Brewco will learn whether you are over 18, not your date of birth". */
function describeClaim(company: string, c: ClaimRequest) {
  return { name: c.name, value: c.value, category: CLAIMS[c.name].category, sentence: claimSentence(company, c) };
}
