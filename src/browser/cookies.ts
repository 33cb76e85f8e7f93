import type { CookieSerializeOptions } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { DEVICE_COOKIE } from '../throttle/device-cookies.js';

/**
 * The refresh token: `__Secure-` makes the browser refuse it unless it is Secure and
 * was set over a secure channel (https, or http on loopback); no Domain keeps it on
 * Tessera's own host; Path keeps it off every request but /auth.
 */
export const REFRESH_COOKIE = '__Secure-tessera-refresh';
/**
 * The double-submit CSRF token, readable by the page. `__Host-` adds Path=/ and no
 * Domain, so a sibling subdomain cannot plant one (cookie tossing).
 */
export const CSRF_COOKIE = '__Host-tessera-csrf';

const BASE: CookieSerializeOptions = { secure: true, sameSite: 'strict' };

export interface CookieSet {
  readonly name: string;
  readonly value: string;
  readonly options: CookieSerializeOptions;
}

/**
 * The Path of the refresh cookie: /auth under the issuer's path, which is where the
 * browser sees Tessera when a proxy serves it below a prefix.
 */
export function refreshCookiePath(config: Pick<AppConfig, 'issuer'>): string {
  return `${new URL(config.issuer).pathname.replace(/\/+$/, '')}/auth`;
}

export function refreshCookie(path: string, token: string, maxAge: number): CookieSet {
  return { name: REFRESH_COOKIE, value: token, options: { ...BASE, httpOnly: true, path, maxAge } };
}

/** Without maxAge: a cookie for this browser session (the pre-login token). */
export function csrfCookie(token: string, maxAge?: number): CookieSet {
  return { name: CSRF_COOKIE, value: token, options: { ...BASE, httpOnly: false, path: '/', ...(maxAge === undefined ? {} : { maxAge }) } };
}

/** The OWASP device cookie of src/throttle/device-cookies.ts: HttpOnly, and `__Host-` (Path=/). */
export function deviceCookie(value: string, maxAge: number): CookieSet {
  return { name: DEVICE_COOKIE, value, options: { ...BASE, httpOnly: true, path: '/', maxAge } };
}

/** The two cookies expired; a prefixed cookie is only replaced by one with the same attributes. */
export function clearedCookies(refreshPath: string): CookieSet[] {
  return [refreshCookie(refreshPath, '', 0), csrfCookie('', 0)];
}

/**
 * The cookies of one request, read strictly: a cookie that arrives twice (a planted
 * copy with another Path or Domain) is refused rather than guessed at.
 */
export class RequestCookies {
  private constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  static from(header: string | string[] | undefined): RequestCookies {
    const values = new Map<string, string[]>();
    const source = Array.isArray(header) ? header.join('; ') : (header ?? '');
    for (const pair of source.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      // RFC 6265 §5.2: user agents strip only spaces and tabs.
      const name = pair.slice(0, eq).replace(/^[ \t]+|[ \t]+$/g, '');
      if (name === '') continue;
      const value = pair.slice(eq + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      values.set(name, [...(values.get(name) ?? []), value]);
    }
    return new RequestCookies(values);
  }

  /** The cookie's value when sent exactly once and not empty; else undefined (a hint, never a refusal). */
  only(name: string): string | undefined {
    const found = this.values.get(name) ?? [];
    return found.length === 1 && found[0] !== '' ? found[0] : undefined;
  }

  /** The cookie's value; undefined when absent or empty; 403 when sent more than once. */
  one(name: string): string | undefined {
    const found = this.values.get(name) ?? [];
    if (found.length > 1) throw new OAuthError('access_denied', `the ${name} cookie was sent more than once`);
    return found[0] === '' ? undefined : found[0];
  }
}
