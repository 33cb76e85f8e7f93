import { type AuthScheme, invalidRequest, underScheme } from './errors.js';

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of `Authorization: Bearer <token>`, or undefined when the request carries no
 * bearer credentials (no header, or another scheme: RFC 6750 §3.1 then wants a bare
 * challenge). A Bearer header that is not well formed is 400 invalid_request.
 */
export function bearerToken(header: string | readonly string[] | undefined): string | undefined {
  const credentials = tokenCredentials(header);
  return credentials?.scheme === 'Bearer' ? credentials.token : undefined;
}

/**
 * The scheme and token of `Authorization: Bearer <token>` or `Authorization: DPoP <token>`
 * (RFC 9449 §7.1, the same token68 syntax), or undefined for no header or another scheme.
 */
export function tokenCredentials(header: string | readonly string[] | undefined): { scheme: AuthScheme; token: string } | undefined {
  if (header === undefined || header === '') return undefined;
  if (typeof header !== 'string') {
    if (header.length > 1) throw invalidRequest('more than one Authorization header');
    return tokenCredentials(header[0]);
  }
  const match = /^(\S+)(?: +(.*))?$/.exec(header);
  // The auth-scheme is case-insensitive (RFC 9110 §11.1).
  const name = match?.[1].toLowerCase() ?? '';
  if (!match || !Object.hasOwn(SCHEMES, name)) return undefined;
  const scheme = SCHEMES[name];
  const token = match[2];
  if (token === undefined || token === '') throw underScheme(invalidRequest(`the ${scheme} credentials are empty`), scheme);
  if (!B64TOKEN.test(token)) throw underScheme(invalidRequest(`the ${scheme} credentials are not a b64token (RFC 6750 §2.1)`), scheme);
  return { scheme, token };
}

const SCHEMES: Readonly<Record<string, AuthScheme>> = { bearer: 'Bearer', dpop: 'DPoP' };
