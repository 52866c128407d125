import { form, type RegisteredCompany } from '../support/company.ts';
import type { RunningVault } from '../support/vault.ts';

/**
 * Access tokens live 10 minutes and a full bench runs longer: before each round a read target swaps in a fresh
 * access token through the refresh grant (rotating its refresh token), so no round measures refusals.
 */
export function bearerRenewal(
  v: Pick<RunningVault, 'url'>,
  company: RegisteredCompany,
  refreshToken: string,
  headers: Record<string, string>,
): () => Promise<void> {
  let current = refreshToken;
  return async () => {
    const r = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: current },
      { authorization: company.basic() },
    );
    if (r.status !== 200) throw new Error(`bench token renewal failed: ${r.status} ${JSON.stringify(r.body)}`);
    current = r.body.refresh_token;
    headers.authorization = `Bearer ${r.body.access_token}`;
  };
}
