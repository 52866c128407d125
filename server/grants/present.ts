import type { Grant } from './service.ts';

/**
 * A grant as the customer and the company see it: the company under the name it had when the grant was
 * made, and what it is called now when it has been renamed since (SECURITY.md, "Company names"). A
 * connected product's grant (RFC 8628) also names the product: "Your toothbrush, by Brushco".
 */
export function grantPresenter(
  names: { now(id: string): string; nameOf(id: string, at?: string): string },
  productOf: (companyId: string) => string | undefined = () => undefined,
) {
  return (g: Grant) => {
    const name = names.nameOf(g.companyId, g.createdAt);
    const now = names.now(g.companyId);
    const product = productOf(g.companyId);
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
