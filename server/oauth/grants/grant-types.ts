/**
 * The grant types /token serves, in one list: the metadata's grant_types_supported (RFC 8414), client
 * registration (RFC 7591 §2) and the token endpoint's table all take it from here. No imports, so that
 * companies/ can name them without depending on the token endpoint.
 */

/** The back-channel (CIBA poll mode) grant type the company polls /token with. */
export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/** The device authorization grant (RFC 8628 §3.4) a connected product polls /token with. */
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  CIBA_GRANT,
  DEVICE_GRANT,
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/**
 * The grant types a registered client can use, as its registration states them (RFC 7591 §3.2.1): every one but the
 * device grant, which only a connected product (a client with a product_name) may start (RFC 8628 §3.1).
 */
export const grantTypesOf = (productName: string | null | undefined): GrantType[] =>
  GRANT_TYPES.filter((t) => t !== DEVICE_GRANT || Boolean(productName));
