interface NameSource {
  byId(id: string): { name: string } | undefined;
  nameAt(id: string, at: string): string | undefined;
}

/**
 * Which name a company is shown under (SECURITY.md, "Company names"): past events show the name the
 * company had then, anything current its name now; an unknown id stands for itself.
 */
export function createCompanyNames(companies: NameSource) {
  const now = (id: string) => companies.byId(id)?.name ?? id;
  return {
    now,
    /** The company's name at `at` (an ISO time), or its current name. */
    nameOf: (id: string, at?: string) => (at ? companies.nameAt(id, at) : undefined) ?? now(id),
  };
}

export type CompanyNames = ReturnType<typeof createCompanyNames>;
