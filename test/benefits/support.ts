import { form, type RegisteredCompany } from '../support/company.ts';
import type { RunningVault } from '../support/vault.ts';

/** A grant_management token for the company (client_credentials), fresh after the test clock moved. */
export async function managementToken(v: RunningVault, c: RegisteredCompany): Promise<string> {
  const r = await form(
    `${v.url}/token`,
    { grant_type: 'client_credentials', scope: 'grant_management' },
    { authorization: c.basic() },
  );
  if (r.status !== 200) throw new Error(`management token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

/** POST /company/benefits as the company; returns status and JSON body. */
export async function recordBenefit(v: RunningVault, token: string, body: unknown) {
  const res = await fetch(`${v.url}/company/benefits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

export const DAY_MS = 86_400_000;
