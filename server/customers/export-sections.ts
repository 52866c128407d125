/** The most reads of their data a customer's export lists (the dashboard pages through the rest). */
export const EXPORT_MAX_READS = 100_000;

interface Receipt {
  id: string;
  grantId: string;
  kind: string;
  createdAt: string;
  jws: string;
}

/**
 * What a customer's portability export holds besides the profile: their grants, the reads of their
 * data, their signed receipts, their inbox and the requests waiting for them. Each source is the owning
 * module's service function; a receipt is exported as its signed form and the ids that find it.
 */
export function exportSections(s: {
  grants(customerId: string): Promise<unknown[]>;
  reads(customerId: string, limit: number): Promise<unknown[]>;
  receipts(customerId: string): Promise<Receipt[]>;
  inbox(customerId: string): Promise<unknown[]>;
  pendingRequests(customerId: string): Promise<unknown[]>;
  benefits(customerId: string): Promise<unknown[]>;
}) {
  return async (customerId: string) => ({
    grants: await s.grants(customerId),
    reads: await s.reads(customerId, EXPORT_MAX_READS),
    receipts: (await s.receipts(customerId)).map((r) => ({
      id: r.id,
      grantId: r.grantId,
      kind: r.kind,
      createdAt: r.createdAt,
      jws: r.jws,
    })),
    inbox: await s.inbox(customerId),
    pendingRequests: await s.pendingRequests(customerId),
    benefits: await s.benefits(customerId),
  });
}
