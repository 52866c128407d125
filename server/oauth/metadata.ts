import { FIELD_NAMES } from '../customers/field-catalogue.ts';
import { CLIENT_ASSERTION_ALGS, DPOP_ALGS } from './algorithms.ts';
import { GRANT_TYPES } from './grants/grant-types.ts';
import { dataAudience } from './tokens.ts';

/** RFC 8414 authorization server metadata; every URL is derived from the issuer. */
export function authorizationServerMetadata(issuer: string) {
  const clientAuthMethods = ['private_key_jwt', 'client_secret_basic'];
  // RFC 8414 §2: each *_auth_signing_alg_values_supported is required when private_key_jwt is listed
  // for that endpoint; one client key verifies at all three.
  const clientAuthAlgs = [...CLIENT_ASSERTION_ALGS];
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks.json`,
    registration_endpoint: `${issuer}/register`,
    pushed_authorization_request_endpoint: `${issuer}/par`,
    introspection_endpoint: `${issuer}/introspect`,
    revocation_endpoint: `${issuer}/revoke`,
    service_documentation: `${issuer}/docs`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES],
    backchannel_authentication_endpoint: `${issuer}/bc-authorize`,
    backchannel_token_delivery_modes_supported: ['poll'],
    device_authorization_endpoint: `${issuer}/device_authorization`,
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: clientAuthAlgs,
    introspection_endpoint_auth_methods_supported: clientAuthMethods,
    introspection_endpoint_auth_signing_alg_values_supported: clientAuthAlgs,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_signing_alg_values_supported: clientAuthAlgs,
    authorization_details_types_supported: ['customer_data', 'customer_records'],
    scopes_supported: ['grant_management'],
    dpop_signing_alg_values_supported: DPOP_ALGS,
    authorization_response_iss_parameter_supported: true,
    require_pushed_authorization_requests: false,
    access_token_signing_alg_values_supported: ['EdDSA'],
  };
}

/** RFC 9728 §3.1: the metadata URL is the resource identifier's path under /.well-known/oauth-protected-resource. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';
export const dataResourceMetadataUrl = (issuer: string) => `${issuer}${PROTECTED_RESOURCE_PATH}/data`;

/**
 * RFC 9728 §2 protected-resource metadata for the company data API, whose identifier is the audience of
 * its access tokens. Scope tokens (details.ts) name a registered purpose, a catalogue field, or deposit.
 */
export function dataResourceMetadata(issuer: string, purposes: Iterable<string>) {
  return {
    resource: dataAudience(issuer),
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: DPOP_ALGS,
    dpop_bound_access_tokens_required: false,
    scopes_supported: [...[...purposes].map((p) => `purpose:${p}`), ...FIELD_NAMES.map((f) => `read:${f}`), 'deposit'],
    authorization_details_types_supported: ['customer_data', 'customer_records'],
    resource_name: 'Consent vault company data API',
    resource_documentation: `${issuer}/docs`,
  };
}
