import { Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { constantTimeEqual, deriveKey } from '../common/crypto.js';
import { RANDOM, type Random } from '../common/random.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';

/**
 * What a CSRF token is good for: logging in, the requests of one family, the consent form
 * of one login session, the logout confirmation of one login session, or the admin console's
 * forms of one console session (a token of one form never posts the other).
 */
export type CsrfBinding =
  | { readonly kind: 'login' }
  | { readonly kind: 'family'; readonly familyId: string }
  | { readonly kind: 'login-session'; readonly sessionId: string }
  | { readonly kind: 'logout'; readonly sessionId: string }
  | { readonly kind: 'console'; readonly sessionId: string };

export const LOGIN_BINDING: CsrfBinding = { kind: 'login' };

export function familyBinding(familyId: string): CsrfBinding {
  return { kind: 'family', familyId };
}

const TOKEN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

/**
 * Double-submit CSRF tokens, signed and bound (OWASP "signed double-submit cookie"):
 * a random nonce and an HMAC, under a key derived from TOKEN_HASH_SECRET, of the nonce
 * and what the token is for. A token of another family, or one made up by someone
 * able to write the cookie, does not verify. Nothing is stored.
 */
@Injectable()
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(
    @Inject(CONFIG) config: ResolvedConfig,
    @Inject(RANDOM) private readonly random: Random,
  ) {
    this.key = deriveKey(config.tokenHashSecret, 'browser-csrf');
  }

  issue(binding: CsrfBinding): string {
    const nonce = this.random.bytes(16).toString('base64url');
    return `${nonce}.${this.mac(binding, nonce).toString('base64url')}`;
  }

  verify(token: string, binding: CsrfBinding): boolean {
    if (!TOKEN.test(token)) return false;
    const [nonce, mac] = token.split('.');
    return constantTimeEqual(Buffer.from(mac, 'base64url'), this.mac(binding, nonce));
  }

  private mac(binding: CsrfBinding, nonce: string): Buffer {
    return createHmac('sha256', this.key).update(`${subjectOf(binding)}\n${nonce}`).digest();
  }
}

function subjectOf(binding: CsrfBinding): string {
  switch (binding.kind) {
    case 'login':
      return 'login';
    case 'family':
      return `family:${binding.familyId}`;
    case 'login-session':
      return `login-session:${binding.sessionId}`;
    case 'logout':
      return `logout:${binding.sessionId}`;
    case 'console':
      return `console:${binding.sessionId}`;
  }
}

/** The header and the cookie carry the same value: compared in constant time. */
export function sameToken(header: string, cookie: string): boolean {
  return constantTimeEqual(Buffer.from(header, 'utf8'), Buffer.from(cookie, 'utf8'));
}
