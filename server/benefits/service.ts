import { createHash, randomUUID } from 'node:crypto';
import type { AuditAppend } from '../audit/chain/append.ts';
import type { AppContext } from '../context.ts';
import { openField, sealField } from '../crypto/field-cipher.ts';
import { Conflict, NotFound, ValidationFailed } from '../http/errors.ts';
import type { BenefitFacts } from '../policy/types.ts';
import { fromMinor, toMinor } from './money.ts';
import { createBenefitStore, type BenefitRow } from './store.ts';

const DAY_MS = 86_400_000;

/** The most entries one grant's ledger holds (SECURITY.md "The benefit ledger"). */
export const MAX_BENEFITS_PER_GRANT = 1_000;

export const BENEFIT_KINDS = ['discount', 'payment', 'service', 'other'] as const;

export interface NewBenefit {
  grantId: string;
  key: string;
  kind: (typeof BENEFIT_KINDS)[number];
  amount?: string | undefined;
  currency?: string | undefined;
  reference?: string | undefined;
}

export interface BenefitDeps {
  audit: AuditAppend;
  /** The company's own grant, or NotFound (another company's grant does not exist for it). */
  grantOfCompany(companyId: string, grantId: string): Promise<{ id: string; customerId: string; companyId: string }>;
  dekOf(customerId: string): Promise<Uint8Array>;
  firstReadAt(customerId: string, companyId: string): Promise<string | undefined>;
}

/**
 * The benefit ledger (ARCHITECTURE.md, "Where policy decisions happen"): companies record what they gave back
 * under a grant, the customer confirms or disputes each entry, and policy reads the ledger as facts. The trail
 * gets the entry's id, kind and currency only: the amount, key and reference are typed by the company.
 */
export function createBenefits(ctx: Pick<AppContext, 'backend' | 'clock'>, d: BenefitDeps) {
  const store = createBenefitStore(ctx.backend);
  const keyHash = (key: string) => createHash('sha256').update(key).digest('hex');
  const binding = (r: { id: string; customerId: string }) => ({
    customerId: r.customerId,
    field: `benefit:${r.id}`,
    version: 1,
  });

  async function present(r: BenefitRow) {
    const reference = r.referenceSealed
      ? (openField(await d.dekOf(r.customerId), binding(r), r.referenceSealed) as string)
      : null;
    return {
      id: r.id,
      grantId: r.grantId,
      companyId: r.companyId,
      kind: r.kind,
      amount: r.amountMinor !== null && r.currency ? fromMinor(r.amountMinor, r.currency) : null,
      currency: r.currency,
      reference,
      status: r.status,
      createdAt: r.createdAt,
      answeredAt: r.answeredAt,
    };
  }

  function amountOf(input: NewBenefit): number | null {
    if (input.amount === undefined) return null;
    const minor = toMinor(input.amount, input.currency!);
    if (minor === undefined)
      throw new ValidationFailed('body.amount: more decimals than the currency has, or too large', {
        errors: [{ path: 'body.amount', message: `not a valid ${input.currency} amount` }],
      });
    return minor;
  }

  return {
    /** Idempotent by the company's key: a repeated key returns the first entry and changes nothing. */
    record(companyId: string, input: NewBenefit, requestId?: string) {
      return ctx.backend.inTransaction(async () => {
        const g = await d.grantOfCompany(companyId, input.grantId);
        const hash = keyHash(input.key);
        const first = await store.byKey(companyId, hash);
        if (first) return { entry: await present(first), created: false };
        // A grant's ledger is bounded (SECURITY.md "The benefit ledger"): entries are kept as long as the account.
        if ((await store.countForGrant(g.customerId, g.id)) >= MAX_BENEFITS_PER_GRANT)
          throw new Conflict(`A grant holds at most ${MAX_BENEFITS_PER_GRANT} benefit entries`);
        const amountMinor = amountOf(input);
        const id = randomUUID();
        const row = { id, customerId: g.customerId, companyId, grantId: g.id, keyHash: hash, kind: input.kind };
        await store.insert({
          ...row,
          amountMinor,
          currency: input.currency ?? null,
          referenceSealed: input.reference
            ? sealField(await d.dekOf(g.customerId), binding(row), input.reference)
            : null,
          status: 'recorded',
          createdAt: ctx.clock.now().toISOString(),
        });
        await d.audit({
          action: 'benefit.recorded',
          actor: { kind: 'company', id: companyId },
          customerId: g.customerId,
          companyId,
          grantId: g.id,
          requestId,
          detail: { benefitId: id, kind: input.kind, ...(input.currency ? { currency: input.currency } : {}) },
        });
        return { entry: await present((await store.byKey(companyId, hash))!), created: true };
      });
    },

    /** The customer confirms or disputes one of their entries; another customer's entry is a 404. */
    answer(customerId: string, id: string, answer: 'confirmed' | 'disputed', requestId?: string) {
      return ctx.backend.inTransaction(async () => {
        const r = await store.forCustomer(customerId, id);
        if (!r) throw new NotFound('No such benefit entry');
        if (r.status === answer) return present(r);
        await store.answer(customerId, id, answer, ctx.clock.now().toISOString());
        await d.audit({
          action: answer === 'confirmed' ? 'benefit.confirmed' : 'benefit.disputed',
          actor: { kind: 'customer', id: customerId },
          customerId,
          companyId: r.companyId,
          grantId: r.grantId,
          requestId,
          detail: { benefitId: r.id, kind: r.kind },
        });
        return present((await store.forCustomer(customerId, id))!);
      });
    },

    listForCustomer: async (customerId: string) =>
      await Promise.all((await store.listForCustomer(customerId)).map(present)),

    /** "What you got back" per company: counts and confirmed totals per currency. */
    async summaryOf(customerId: string) {
      const out = new Map<
        string,
        { confirmed: number; recorded: number; disputed: number; totals: Map<string, number> }
      >();
      for (const r of await store.listForCustomer(customerId)) {
        const s = out.get(r.companyId) ?? { confirmed: 0, recorded: 0, disputed: 0, totals: new Map() };
        s[r.status]++;
        if (r.status === 'confirmed' && r.currency && r.amountMinor !== null)
          s.totals.set(r.currency, (s.totals.get(r.currency) ?? 0) + r.amountMinor);
        out.set(r.companyId, s);
      }
      return new Map(
        [...out].map(([companyId, s]) => [
          companyId,
          {
            confirmed: s.confirmed,
            awaitingAnswer: s.recorded,
            disputed: s.disputed,
            totals: [...s.totals].map(([currency, minor]) => ({ currency, amount: fromMinor(minor, currency) })),
          },
        ]),
      );
    },

    /** The ledger's policy facts for one company and customer; the period is the one its terms promise. */
    async factsOf(customerId: string, companyId: string, periodDays: number | undefined): Promise<BenefitFacts> {
      const now = ctx.clock.now().getTime();
      const first = await d.firstReadAt(customerId, companyId);
      const all = await store.counts(customerId, companyId, '');
      const inPeriod =
        periodDays === undefined
          ? undefined
          : await store.counts(customerId, companyId, new Date(now - periodDays * DAY_MS).toISOString());
      return {
        ...(first ? { daysSinceFirstRead: Math.floor((now - Date.parse(first)) / DAY_MS) } : {}),
        ...(inPeriod ? { deliveredInPeriod: inPeriod.delivered, confirmedInPeriod: inPeriod.confirmed } : {}),
        delivered: all.delivered,
        confirmed: all.confirmed,
        disputed: all.disputed,
      };
    },
  };
}

export type Benefits = ReturnType<typeof createBenefits>;
