import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../context.ts';
import { createReceiptStore } from './store.ts';
import { NotFound } from '../../http/errors.ts';
import type { Grant, GrantChange } from '../../grants/service.ts';
import { categoriesOf } from '../../oauth/details.ts';
import type { CompanyTerms } from '../../policy/types.ts';

export const RECEIPT_TYP = 'consent-receipt+jwt';

/** What a deletion receipt states: ids, catalogue field names, a closed cause and times (never values). */
export interface DeletionFacts {
  id: string;
  customerId: string;
  companyId: string;
  grantId: string;
  cause: string;
  fields: string[];
  records: string[];
  requestedAt: string;
  dueAt: string;
  confirmedAt?: string | null;
  keptFields?: string[] | null;
  keptUntil?: string | null;
}

interface ReceiptSources {
  company(id: string): Promise<{ name: string } | undefined>;
  terms(id: string, version: number): Promise<{ terms: CompanyTerms } | undefined>;
  handleOf(customerId: string): Promise<string | undefined>;
  isSensitive(category: string): boolean;
}

/**
 * Signed consent receipts for every grant created, amended, revoked or expired. The claims follow the
 * Kantara Consent Receipt v1.1 / ISO/IEC 27560 record: who controls the data, which purpose, which
 * categories and fields, for how long, under which terms, whether it is shared onward, and how to
 * withdraw. Signed synchronously so the receipt commits with the change it records.
 */
export function createReceipts(ctx: AppContext, src: ReceiptSources) {
  const issuer = ctx.config.publicUrl;
  const store = createReceiptStore(ctx.backend);
  return {
    async issue(g: Grant, change: GrantChange): Promise<string | undefined> {
      if (change === 'suspended' || change === 'resumed') return undefined;
      const kind = change === 'approved' ? 'created' : change === 'narrowed' ? 'amended' : change;
      const id = randomUUID();
      const now = ctx.clock.now();
      const company = await src.company(g.companyId);
      const terms = (await src.terms(g.companyId, g.termsVersion))?.terms;
      const categories = categoriesOf(g.fields);
      const claims = {
        iss: issuer,
        iat: Math.floor(now.getTime() / 1000),
        jti: id,
        version: 'KI-CR-v1.1.0',
        consentReceiptID: id,
        consentTimestamp: Math.floor(Date.parse(g.updatedAt) / 1000),
        event: kind,
        collectionMethod: g.autoApproved ? "customer's auto-approve rule" : 'vault consent screen',
        language: 'en',
        piiPrincipalId: (await src.handleOf(g.customerId)) ?? g.customerId,
        piiControllers: [
          { piiController: company?.name ?? g.companyId, controllerId: g.companyId, contact: terms?.contact ?? null },
        ],
        policyUrl: `${issuer}/docs`,
        grant: {
          id: g.id,
          status: g.status,
          created: g.createdAt,
          expires: g.expiresAt,
          termsVersion: g.termsVersion,
          policyVersion: g.policyVersion,
        },
        services: [
          {
            service: company?.name ?? g.companyId,
            purposes: [
              {
                purpose: g.purpose,
                consentType: g.autoApproved ? 'EXPLICIT_RULE' : 'EXPLICIT',
                piiCategory: categories,
                fields: g.fields,
                actions: g.actions,
                primaryPurpose: true,
                termination: g.expiresAt,
                retentionDays: terms?.retentionDays ?? null,
                thirdPartyDisclosure: terms?.sharesOnward ?? false,
                benefit: terms?.benefit ?? null,
              },
            ],
          },
        ],
        sensitive: categories.some((c) => src.isSensitive(c)),
        spiCat: categories.filter((c) => src.isSensitive(c)),
        withdrawal: `You can withdraw this consent at any time on the Grants page of your vault: ${issuer}/grants`,
      };
      const jws = ctx.signing.signSync(claims, RECEIPT_TYP);
      await store.insert({
        id,
        customerId: g.customerId,
        companyId: g.companyId,
        grantId: g.id,
        kind,
        jws,
        createdAt: now.toISOString(),
      });
      return id;
    },

    /**
     * A signed receipt for a step of a deletion request (ARCHITECTURE.md, "After consent"): what the company
     * must delete and by when, or that it confirmed, with what it keeps under a legal obligation until when.
     */
    async issueDeletion(r: DeletionFacts, kind: 'deletion-requested' | 'deletion-confirmed'): Promise<string> {
      const id = randomUUID();
      const now = ctx.clock.now();
      const company = await src.company(r.companyId);
      const claims = {
        iss: issuer,
        iat: Math.floor(now.getTime() / 1000),
        jti: id,
        event: kind,
        piiPrincipalId: (await src.handleOf(r.customerId)) ?? r.customerId,
        piiControllers: [{ piiController: company?.name ?? r.companyId, controllerId: r.companyId }],
        deletion: {
          id: r.id,
          grant: r.grantId,
          cause: r.cause,
          fields: r.fields,
          records: r.records,
          requested: r.requestedAt,
          due: r.dueAt,
          ...(r.confirmedAt ? { confirmed: r.confirmedAt } : {}),
          ...(r.keptUntil ? { kept: { fields: r.keptFields ?? [], until: r.keptUntil } } : {}),
        },
      };
      const jws = ctx.signing.signSync(claims, RECEIPT_TYP);
      await store.insert({
        id,
        customerId: r.customerId,
        companyId: r.companyId,
        grantId: r.grantId,
        kind,
        jws,
        createdAt: now.toISOString(),
      });
      return id;
    },

    forCustomer: store.forCustomer,
    forCompany: store.forCompany,
    async oneForCustomer(customerId: string, id: string) {
      const r = await store.oneForCustomer(customerId, id);
      if (!r) throw new NotFound('No such receipt');
      return r;
    },
    async oneForCompany(companyId: string, id: string) {
      const r = await store.oneForCompany(companyId, id);
      if (!r) throw new NotFound('No such receipt');
      return r;
    },
  };
}

export type Receipts = ReturnType<typeof createReceipts>;
