import { DPOP_ALGS } from './dpop.ts';

/** RFC 8414 authorization server metadata; every URL is derived from the issuer. */
export function authorizationServerMetadata(issuer: string) {
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
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:openid:params:grant-type:ciba',
    ],
    backchannel_authentication_endpoint: `${issuer}/bc-authorize`,
    backchannel_token_delivery_modes_supported: ['poll'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
    token_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'ES256', 'RS256'],
    introspection_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
    revocation_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
    authorization_details_types_supported: ['customer_data'],
    scopes_supported: ['grant_management'],
    dpop_signing_alg_values_supported: DPOP_ALGS,
    authorization_response_iss_parameter_supported: true,
    require_pushed_authorization_requests: false,
    access_token_signing_alg_values_supported: ['EdDSA'],
  };
}
