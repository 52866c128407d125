interface NameSource {
  byId(id: string): Promise<{ name: string } | undefined>;
  nameAt(id: string, at: string): Promise<string | undefined>;
}

/**
 * Which name a company is shown under (SECURITY.md, "Company names"): past events show the name the
 * company had then, anything current its name now; an unknown id stands for itself.
 */
export function createCompanyNames(companies: NameSource) {
  const now = async (id: string) => (await companies.byId(id))?.name ?? id;
  return {
    now,
    /** The company's name at `at` (an ISO time), or its current name. */
    nameOf: async (id: string, at?: string) => (at ? await companies.nameAt(id, at) : undefined) ?? (await now(id)),
  };
}

export type CompanyNames = ReturnType<typeof createCompanyNames>;
