import type { CookieSerializeOptions } from '@nestjs/common';
import type { CookieSet } from '../browser/cookies.js';

/**
 * The console session cookie: HttpOnly, host-only (no Domain), SameSite=Lax (it must come
 * along on the callback, a top-level GET at the end of the login's redirects), Secure
 * when the issuer is https. Over https it is a `__Host-` cookie, which browsers accept
 * only when Secure, Path=/ and host-only: nothing on a sibling subdomain can plant one.
 */
export class ConsoleCookie {
  readonly name: string;
  private readonly options: CookieSerializeOptions;

  constructor(issuer: string) {
    const secure = new URL(issuer).protocol === 'https:';
    this.name = secure ? '__Host-tessera-console' : 'tessera-console';
    this.options = { secure, httpOnly: true, sameSite: 'lax', path: '/' };
  }

  set(token: string, maxAgeSeconds: number): CookieSet {
    return { name: this.name, value: token, options: { ...this.options, maxAge: maxAgeSeconds } };
  }

  cleared(): CookieSet {
    return { name: this.name, value: '', options: { ...this.options, maxAge: 0 } };
  }
}
