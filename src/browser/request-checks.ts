import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { CSRF_COOKIE, type RequestCookies } from './cookies.js';
import { sameToken } from './csrf-tokens.js';

export const CSRF_HEADER = 'X-CSRF-Token';

// Fetch Metadata (W3C): the browser says who started the request. Only requests of the
// page's own origin or site go on; `cross-site` (and `none`, a typed-in URL, which
// never POSTs) are refused. Non-browser callers send no such header.
const ALLOWED_FETCH_SITES = new Set(['same-origin', 'same-site']);

/** Every CSRF and origin failure: 403, and nothing has been looked at or changed. */
export function forbidden(description: string): OAuthError {
  return new OAuthError('access_denied', description);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Refuses cross-site requests; the optional Origin, when there is one. */
export function sameSiteOrigin(request: FastifyRequest): string | undefined {
  const site = header(request, 'sec-fetch-site');
  if (site !== undefined && !ALLOWED_FETCH_SITES.has(site)) throw forbidden('cross-site requests are refused');
  const origin = header(request, 'origin');
  if (origin === 'null') throw forbidden('the request has an opaque origin');
  return origin;
}

/** For state-changing requests: same-site, with an Origin (RFC 6454 §7.3; every browser sends it on POST). */
export function requiredOrigin(request: FastifyRequest): string {
  const origin = sameSiteOrigin(request);
  if (origin === undefined) throw forbidden('an Origin header is required');
  return origin;
}

/** The double-submitted token: the X-CSRF-Token header, equal to the CSRF cookie. */
export function submittedCsrfToken(request: FastifyRequest, cookies: RequestCookies): string {
  const submitted = header(request, CSRF_HEADER.toLowerCase());
  const cookie = cookies.one(CSRF_COOKIE);
  if (submitted === undefined || cookie === undefined) throw forbidden(`the ${CSRF_HEADER} header and the CSRF cookie are required`);
  if (!sameToken(submitted, cookie)) throw forbidden(`the ${CSRF_HEADER} header does not match the CSRF cookie`);
  return submitted;
}
