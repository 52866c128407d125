import type { Grant } from './service.ts';

/**
 * A grant as the customer and the company see it: the company under the name it had when the grant was
 * made, and what it is called now when it has been renamed since (SECURITY.md, "Company names"). A
 * connected product's grant (RFC 8628) also names the product: "Your toothbrush, by Brushco".
 */
export function grantPresenter(
  names: { now(id: string): Promise<string>; nameOf(id: string, at?: string): Promise<string> },
  productOf: (companyId: string) => Promise<string | undefined> = async () => undefined,
) {
  return async (g: Grant) => {
    const name = await names.nameOf(g.companyId, g.createdAt);
    const now = await names.now(g.companyId);
    const product = await productOf(g.companyId);
    return {
      ...g,
      company: {
        id: g.companyId,
        name,
        ...(now !== name ? { currentName: now } : {}),
        ...(product ? { product, label: `Your ${product}, by ${now}` } : {}),
      },
    };
  };
}
