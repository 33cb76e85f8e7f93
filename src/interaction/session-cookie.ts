import type { CookieSerializeOptions } from '@nestjs/common';
import type { CookieSet } from '../browser/cookies.js';

/**
 * The Tessera login session. `__Host-`: Secure, Path=/ and no Domain, so neither a
 * sibling subdomain nor plain http can plant or read one; HttpOnly keeps it from
 * scripts; SameSite=Lax sends it on the top-level GET a client's redirect to
 * /oauth/authorize is, and never on a cross-site POST.
 */
export const SESSION_COOKIE = '__Host-tessera-session';
/** The login form's double-submitted CSRF token (the form carries the same value). */
export const FORM_CSRF_COOKIE = '__Host-tessera-form';
/** A login waiting for its second factor: the random handle of its server-side challenge. */
export const SECOND_FACTOR_COOKIE = '__Host-tessera-second-factor';

const SESSION: CookieSerializeOptions = { secure: true, httpOnly: true, sameSite: 'lax', path: '/' };
// The form is posted from Tessera's own page: Strict is enough, and never sent cross-site.
const FORM: CookieSerializeOptions = { secure: true, httpOnly: true, sameSite: 'strict', path: '/' };

export function sessionCookie(token: string, maxAgeSeconds: number): CookieSet {
  return { name: SESSION_COOKIE, value: token, options: { ...SESSION, maxAge: maxAgeSeconds } };
}

/** Logged out: the browser forgets the session cookie (Max-Age=0, same attributes). */
export function clearedSessionCookie(): CookieSet {
  return { name: SESSION_COOKIE, value: '', options: { ...SESSION, maxAge: 0 } };
}

/** Strict like the form's: only the second step's own post, from Tessera's page, sends it. */
export function secondFactorCookie(token: string, maxAgeSeconds: number): CookieSet {
  return { name: SECOND_FACTOR_COOKIE, value: token, options: { ...FORM, maxAge: maxAgeSeconds } };
}

export function formCsrfCookie(token: string): CookieSet {
  return { name: FORM_CSRF_COOKIE, value: token, options: FORM };
}
