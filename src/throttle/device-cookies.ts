import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { constantTimeEqual } from '../common/crypto.js';
import { RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import { usernameKey } from '../users/username.js';

/**
 * The OWASP device cookie ("Slow Down Online Guessing Attacks with Device Cookies"): a
 * browser where a user logged in successfully carries proof of it, so its attempts for
 * that user are counted on a budget of their own, and an attacker who fails from
 * everywhere else cannot lock the owner out. `__Host-`: Secure, Path=/, no Domain, so a
 * sibling subdomain cannot plant or overwrite one.
 */
export const DEVICE_COOKIE = '__Host-tessera-device';

/** How long a browser stays trusted after its last successful login (as long as a known IP). */
export const DEVICE_COOKIE_SECONDS = 30 * 86_400;

const NONCE_BYTES = 16;
const FORMAT = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface IssuedDeviceCookie {
  readonly value: string;
  readonly maxAge: number;
}

/**
 * `<nonce>.<expires, s>.<mac>`, the mac an HMAC-SHA-256 (key derived from TOKEN_HASH_SECRET
 * for this purpose only) over the username's RFC 8265 key, the nonce and the expiry. The
 * cookie names the user only through the mac: it is valid for one username, and tells
 * anyone who reads it nothing about which. The nonce names the device in the throttle.
 */
@Injectable()
export class DeviceCookies {
  constructor(
    private readonly hashers: TokenHashers,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  issue(username: string): IssuedDeviceCookie {
    const nonce = this.random.bytes(NONCE_BYTES).toString('base64url');
    const expires = Math.floor(this.clock.now() / 1000) + DEVICE_COOKIE_SECONDS;
    return { value: `${nonce}.${expires}.${this.mac(username, nonce, expires).toString('base64url')}`, maxAge: DEVICE_COOKIE_SECONDS };
  }

  /** The device id when the cookie is this server's, unexpired, and for this username; else undefined. */
  deviceOf(cookie: string | undefined, username: string): string | undefined {
    const parts = cookie === undefined ? null : FORMAT.exec(cookie);
    if (!parts) return undefined;
    const [, nonce, expiresText, mac] = parts;
    const expires = Number(expiresText);
    if (expires * 1000 <= this.clock.now()) return undefined;
    return constantTimeEqual(Buffer.from(mac, 'base64url'), this.mac(username, nonce, expires)) ? nonce : undefined;
  }

  private mac(username: string, nonce: string, expires: number): Buffer {
    return this.hashers.deviceCookie.hash(`${usernameKey(username)}\n${nonce}\n${expires}`);
  }
}
