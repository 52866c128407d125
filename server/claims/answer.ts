import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { claimCatalogue, claimFieldsOf, claimParameter, type ClaimRequest, type ClaimResult } from './catalogue.ts';

/** The `typ` of a claim answer (RFC 8725 §3.11: its own type, so it cannot pass for an access token). */
export const CLAIM_JWT_TYP = 'customer-claim+jwt';
/** How long a claim answer is valid: long enough to finish a checkout, short enough not to be a credential. */
export const CLAIM_TTL_S = 300;

/** One computed answer: the claim as granted and its result (null: the field it needs is not filled in). */
export interface ClaimAnswer {
  claim: ClaimRequest;
  result: ClaimResult;
}

/** Computes answers inside the audited unit with the injected clock (an age changes on a birthday). */
export function createClaimAnswerer(ctx: Pick<AppContext, 'clock'>) {
  const catalogue = claimCatalogue(() => ctx.clock.now());
  return {
    fieldsOf: claimFieldsOf,
    answer(claim: ClaimRequest, values: Record<string, unknown>): ClaimAnswer {
      return { claim, result: catalogue[claim.name].answer(claim.value, values) };
    },
  };
}

/** The audit event's detail: the claim's catalogue name, its closed-vocabulary parameter and the result. */
export const claimDetail = (a: ClaimAnswer) => ({
  claim: a.claim.name,
  parameter: claimParameter(a.claim),
  result: a.result === null ? 'unknown' : String(a.result),
});

/**
 * Signs the answer as a JWT that the company verifies against /jwks.json: audience the company, subject the
 * customer's vault handle, the claim and its result, the grant. The value it was computed from is not in it.
 * The signature is made on the thread pool: it is most of what a claim costs beyond a read (README "Benchmarks").
 */
export async function signClaimAnswer(
  ctx: Pick<AppContext, 'clock' | 'signing' | 'config'>,
  input: { companyId: string; handle: string; grantId: string; answer: ClaimAnswer },
) {
  const iat = Math.floor(ctx.clock.now().getTime() / 1000);
  const { claim, result } = input.answer;
  const payload = {
    iss: ctx.config.publicUrl,
    aud: input.companyId,
    sub: input.handle,
    grant_id: input.grantId,
    claim: { name: claim.name, value: claim.value, result },
    iat,
    exp: iat + CLAIM_TTL_S,
    jti: randomUUID(),
  };
  const token = await ctx.signing.signInPool(payload, CLAIM_JWT_TYP);
  return {
    claim_token: token,
    token_type: CLAIM_JWT_TYP,
    expires_in: CLAIM_TTL_S,
  };
}
