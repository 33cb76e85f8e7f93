import { invalidRequest } from './errors.js';

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of `Authorization: Bearer <token>`, or undefined when the request carries no
 * bearer credentials (no header, or another scheme: RFC 6750 §3.1 then wants a bare
 * challenge). A Bearer header that is not well formed is 400 invalid_request.
 */
export function bearerToken(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (typeof header !== 'string') {
    if (header.length > 1) throw invalidRequest('more than one Authorization header');
    return bearerToken(header[0]);
  }
  const match = /^(\S+)(?: +(.*))?$/.exec(header);
  // The auth-scheme is case-insensitive (RFC 9110 §11.1).
  if (!match || match[1].toLowerCase() !== 'bearer') return undefined;
  const token = match[2];
  if (token === undefined || token === '') throw invalidRequest('the Bearer credentials are empty');
  if (!B64TOKEN.test(token)) throw invalidRequest('the Bearer credentials are not a b64token (RFC 6750 §2.1)');
  return token;
}
