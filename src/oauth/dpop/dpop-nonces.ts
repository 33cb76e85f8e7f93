import { createHmac } from 'node:crypto';
import { constantTimeEqual, deriveKey } from '../../common/crypto.js';

/**
 * How long one server nonce is current. A nonce is accepted in its own window and the
 * next, so it lives between one and two windows: long enough that a client refreshing
 * every access-token lifetime (300 s by default) mostly reuses the nonce of its last
 * response, short enough that a proof made in advance stops working within ten minutes.
 */
export const NONCE_WINDOW_SECONDS = 300;

/**
 * RFC 9449 §8 server nonces without shared state: the nonce of a window is an HMAC of the
 * window's number under a key derived from TOKEN_HASH_SECRET, so every process computes
 * the same one and none needs to remember what it handed out.
 */
export class DpopNonces {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = deriveKey(secret, 'dpop-nonce');
  }

  /** The nonce to send in DPoP-Nonce at `nowSeconds`. */
  current(nowSeconds: number): string {
    return this.forWindow(Math.floor(nowSeconds / NONCE_WINDOW_SECONDS));
  }

  /** Whether `nonce` is the current window's or the previous one's. */
  accepts(nonce: string, nowSeconds: number): boolean {
    const window = Math.floor(nowSeconds / NONCE_WINDOW_SECONDS);
    const presented = Buffer.from(nonce);
    return [window, window - 1].some((w) => constantTimeEqual(presented, Buffer.from(this.forWindow(w))));
  }

  private forWindow(window: number): string {
    return createHmac('sha256', this.key).update(`dpop-nonce:${window}`).digest('base64url');
  }
}
