import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { clientIpKey } from './client-ip.js';
import { FailureWindow } from './failure-window.js';

// Keys are authenticated client ids (introspection) or presented ones with an IP (client
// authentication): bounded so a spray of made-up ids cannot grow the map.
const CAPACITY = 10_000;
const CLIENT_AUTH_WINDOW_MS = 60_000;

/**
 * Token scanning through introspection (RFC 7662 §4): per authenticated client, the
 * tokens that are not this server's at all (malformed, forged, unknown). Expired and
 * revoked tokens that verify are what resource servers legitimately send, and count
 * not. Per process: at most INTROSPECTION_MAX_FAILURES × processes per window.
 */
@Injectable()
export class IntrospectionThrottle {
  private readonly failures: FailureWindow;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.failures = new FailureWindow(config.introspectionMaxFailures, config.introspectionFailureWindow * 1000, CAPACITY);
  }

  check(clientId: string): void {
    const wait = this.failures.retryAfter(clientId, this.clock.now());
    if (wait > 0) throw OAuthError.tooManyAttempts(wait);
  }

  unknownToken(clientId: string): void {
    this.failures.fail(clientId, this.clock.now());
  }
}

/**
 * Guessing a client secret: failed client authentications per presented client_id and
 * client IP, whether that client exists or not. Per process, like the introspection limit.
 * Only failures are refused: the secret is checked first (a keyed hash, as cheap as the
 * throttle), so a resource server sharing an IP with a guesser is never locked out.
 */
@Injectable()
export class ClientAuthThrottle {
  private readonly failures: FailureWindow;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.failures = new FailureWindow(config.clientAuthMaxFailures, CLIENT_AUTH_WINDOW_MS, CAPACITY);
  }

  /** Counts a failure; throws 429 instead when this client_id and IP are over their budget. */
  failed(clientId: string, ip: string | undefined): void {
    const now = this.clock.now();
    const wait = this.failures.retryAfter(key(clientId, ip), now);
    if (wait > 0) throw OAuthError.tooManyAttempts(wait);
    this.failures.fail(key(clientId, ip), now);
  }
}

function key(clientId: string, ip: string | undefined): string {
  return `${clientIpKey(ip)} ${clientId}`;
}
