import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { KeyedHasher } from './crypto.js';

/** The keyed hashes under TOKEN_HASH_SECRET, one derived key per purpose. */
@Injectable()
export class TokenHashers {
  readonly refreshToken: KeyedHasher;
  readonly clientSecret: KeyedHasher;
  /** opaque access tokens (CONTRACT "Access tokens"): stored only as this hash */
  readonly opaqueAccessToken: KeyedHasher;
  /** usernames as typed, the key of the login throttle: a mistyped password never lands in the table */
  readonly loginThrottle: KeyedHasher;
  /** the mac of device cookies (src/throttle/device-cookies.ts) */
  readonly deviceCookie: KeyedHasher;
  /** authorization codes (RFC 6749 §4.1.2): stored only as this hash */
  readonly authorizationCode: KeyedHasher;
  /** the Tessera login session cookie: stored only as this hash */
  readonly loginSession: KeyedHasher;
  /** the random part of a pushed request's request_uri (RFC 9126) */
  readonly pushedRequest: KeyedHasher;
  /** a DPoP proof's key thumbprint and jti (RFC 9449 §11.1), remembered until its iat window closes */
  readonly dpopProof: KeyedHasher;
  /** the admin console's session cookie: stored only as this hash */
  readonly consoleSession: KeyedHasher;
  /** TOTP recovery codes: shown once, stored only as this hash */
  readonly recoveryCode: KeyedHasher;
  /** the cookie of a login waiting for its second factor */
  readonly secondFactorChallenge: KeyedHasher;

  constructor(@Inject(CONFIG) config: ResolvedConfig) {
    this.refreshToken = new KeyedHasher(config.tokenHashSecret, 'refresh-token');
    this.clientSecret = new KeyedHasher(config.tokenHashSecret, 'client-secret');
    this.opaqueAccessToken = new KeyedHasher(config.tokenHashSecret, 'opaque-access-token');
    this.loginThrottle = new KeyedHasher(config.tokenHashSecret, 'login-throttle');
    this.deviceCookie = new KeyedHasher(config.tokenHashSecret, 'device-cookie');
    this.authorizationCode = new KeyedHasher(config.tokenHashSecret, 'authorization-code');
    this.loginSession = new KeyedHasher(config.tokenHashSecret, 'login-session');
    this.pushedRequest = new KeyedHasher(config.tokenHashSecret, 'pushed-request');
    this.dpopProof = new KeyedHasher(config.tokenHashSecret, 'dpop-proof');
    this.consoleSession = new KeyedHasher(config.tokenHashSecret, 'console-session');
    this.recoveryCode = new KeyedHasher(config.tokenHashSecret, 'recovery-code');
    this.secondFactorChallenge = new KeyedHasher(config.tokenHashSecret, 'second-factor-challenge');
  }
}
