import type { ActorKind } from '../audit/chain/event.ts';
import type { AppContext } from '../context.ts';
import type { CompanyTerms } from '../policy/types.ts';

/** What the companies module needs: a narrower type than AppContext so the CLI can build it too. */
export type CompaniesDeps = Pick<AppContext, 'backend' | 'config' | 'clock'>;

export type AuthMethod = 'private_key_jwt' | 'client_secret_basic';

/** A registered company (an OAuth client), without any secret material. */
export interface Company {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  authMethod: AuthMethod;
  redirectUris: string[];
  dpopBound: boolean;
  termsVersion: number;
  createdAt: string;
  /** Set for a device client (RFC 8628): the product it runs in. */
  productName?: string;
}

export interface TermsVersion {
  version: number;
  terms: CompanyTerms;
  createdAt: string;
}

/**
 * Called inside the transaction that changes the company, so that what they do commits with it or
 * not at all (ARCHITECTURE.md, "The audited unit and group commit"). They are awaited in order and may await
 * store calls only; a hook that throws rolls the change back.
 */
export interface CompanyHooks {
  /** The policy module re-evaluates live grants against the new terms version (ARCHITECTURE.md, "Where policy decisions happen"). */
  onTermsChanged: Array<(companyId: string, version: number) => void | Promise<void>>;
  /** The grants module revokes the company's grants; `actor` is the operator, or the company itself (RFC 7592 §2.3). */
  onDisabled: Array<(companyId: string, actor: { kind: ActorKind; id: string }) => void | Promise<void>>;
}

/** A JSON Web Key Set holding public keys only (RFC 7517 §5). */
export interface PublicJwks {
  keys: Array<Record<string, unknown>>;
}

/** The registered client metadata (RFC 7591 §2) plus the vault's own `terms` member. */
export interface ClientMetadata {
  client_name: string;
  product_name?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: AuthMethod;
  grant_types: string[];
  response_types: string[];
  jwks?: PublicJwks;
  dpop_bound_access_tokens: boolean;
  /** RFC 8935 push endpoint for grant events; absent: the company polls (RFC 8936). */
  event_delivery_endpoint?: string;
  terms: CompanyTerms;
}

/** RFC 7591 §3.2.1 client information response, with the RFC 7592 §3 management members. */
export interface RegistrationResponse extends ClientMetadata {
  client_id: string;
  /** Present only when a secret was issued by this response; it is never shown again. */
  client_secret?: string;
  client_id_issued_at: number;
  /** 0: the secret does not expire (RFC 7591 §3.2.1); absent when no secret is registered. */
  client_secret_expires_at?: 0;
  registration_access_token: string;
  registration_client_uri: string;
  terms_version: number;
}
