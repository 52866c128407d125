import type { CompanyTerms } from '../policy/types.ts';
import type { CompanyRow } from './store.ts';
import type { Company, PublicJwks } from './types.ts';

/** The row as the rest of the vault sees it: no secret digests, no keys. */
export function toCompany(row: CompanyRow): Company {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    authMethod: row.authMethod,
    redirectUris: JSON.parse(row.redirectUris) as string[],
    dpopBound: row.dpopBound,
    termsVersion: row.termsVersion,
    createdAt: row.createdAt,
    ...(row.productName ? { productName: row.productName } : {}),
  };
}

// Stored JSON was validated before it was written (metadata.ts, companyTermsSchema): trusted here.
export const parseTerms = (json: string) => JSON.parse(json) as CompanyTerms;
export const parseJwks = (json: string | null) => (json ? (JSON.parse(json) as PublicJwks) : undefined);
