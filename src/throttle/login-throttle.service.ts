import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { TokenHashers } from '../common/token-hashers.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { usernameKey } from '../users/username.js';
import { clientIpKey } from './client-ip.js';
import { forgetAfterSeconds, KNOWN_IP_SECONDS, type LoginPolicy, loginPolicy, retryAfterSeconds } from './login-policy.js';
import { LoginThrottleStore } from './login-throttle.js';

/** One login attempt as the throttle sees it: the username as typed, never whether it exists. */
export interface LoginAttempt {
  readonly username: string;
  readonly ip: string | undefined;
  readonly clientId?: string;
}

// Every this many failures, a process deletes a bounded batch of expired rows itself.
const CLEANUP_EVERY = 256;
const CLEANUP_BATCH = 1_000;

/**
 * Slows password guessing per username and client IP, and per username across all IPs
 * (README "Brute force"). State lives in Postgres so every process shares it. A refused
 * attempt costs one indexed read and no argon2 work; a failure costs one upsert.
 */
@Injectable()
export class LoginThrottle {
  private readonly policy: LoginPolicy;
  private failuresSinceCleanup = 0;

  constructor(
    private readonly store: LoginThrottleStore,
    private readonly hashers: TokenHashers,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.policy = loginPolicy(config);
  }

  /** Throws 429 temporarily_unavailable with Retry-After while the attempt must wait. */
  async check(attempt: LoginAttempt): Promise<void> {
    const now = this.clock.now();
    const state = await this.store.read(this.key(attempt), clientIpKey(attempt.ip), new Date(now));
    const wait = retryAfterSeconds(state, now, this.policy);
    if (wait > 0) throw OAuthError.tooManyAttempts(wait);
  }

  async failed(attempt: LoginAttempt): Promise<void> {
    const now = this.clock.now();
    const state = await this.store.recordFailure(this.key(attempt), clientIpKey(attempt.ip), {
      now: new Date(now),
      forgetBefore: new Date(now - forgetAfterSeconds(this.policy) * 1000),
      accountIpExpiresAt: new Date(now + forgetAfterSeconds(this.policy) * 1000),
      accountWindowEndsAt: new Date(now + this.policy.accountWindow * 1000),
    });
    const wait = retryAfterSeconds(state, now, this.policy);
    if (wait > 0) {
      await this.audit.record({ type: 'login_throttled', clientId: attempt.clientId, ip: attempt.ip, details: { retry_after: wait } });
    }
    if (++this.failuresSinceCleanup >= CLEANUP_EVERY) {
      this.failuresSinceCleanup = 0;
      await this.store.deleteExpired(new Date(now), CLEANUP_BATCH);
    }
  }

  /** A correct password: that IP's failures are forgiven, and the IP is known for a while. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const now = this.clock.now();
    await this.store.recordSuccess(this.key(attempt), clientIpKey(attempt.ip), new Date(now), new Date(now + KNOWN_IP_SECONDS * 1000));
  }

  private key(attempt: LoginAttempt): Buffer {
    // The RFC 8265 comparison key, as login compares: one account, one budget of guesses.
    return this.hashers.loginThrottle.hash(usernameKey(attempt.username));
  }
}
