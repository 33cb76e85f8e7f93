import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { TokenHashers } from '../common/token-hashers.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { usernameKey } from '../users/username.js';
import { clientIpKey } from './client-ip.js';
import { DeviceCookies } from './device-cookies.js';
import { forgetAfterSeconds, KNOWN_IP_SECONDS, type LoginPolicy, loginPolicy, retryAfterSeconds } from './login-policy.js';
import { LoginThrottleStore } from './login-throttle.js';

/** One login attempt as the throttle sees it: the username as typed, never whether it exists. */
export interface LoginAttempt {
  readonly username: string;
  readonly ip: string | undefined;
  readonly clientId?: string;
  /** the device cookie the browser sent, unverified */
  readonly deviceCookie?: string;
}

// Every this many failures, a process deletes a bounded batch of expired rows itself.
const CLEANUP_EVERY = 256;
const CLEANUP_BATCH = 1_000;

/**
 * Slows password guessing per username and client IP, and per username across all IPs
 * (README "Brute force"). State lives in Postgres so every process shares it. A refused
 * attempt costs one indexed read and no argon2 work; a failure costs one upsert.
 *
 * An attempt with a valid device cookie for its username (OWASP device cookies) is
 * counted on that device's own row instead, with the account+IP backoff: the account-wide
 * limit and the IP's failures do not hold it, so failures from everywhere else cannot lock
 * the owner's browser out, while a stolen cookie buys LOGIN_MAX_FAILURES guesses and then
 * waits that double up to LOGIN_LOCKOUT_MAX, nothing more.
 */
@Injectable()
export class LoginThrottle {
  private readonly policy: LoginPolicy;
  private failuresSinceCleanup = 0;

  constructor(
    private readonly store: LoginThrottleStore,
    private readonly hashers: TokenHashers,
    private readonly audit: AuditService,
    private readonly devices: DeviceCookies,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.policy = loginPolicy(config);
  }

  /** Throws 429 temporarily_unavailable with Retry-After while the attempt must wait. */
  async check(attempt: LoginAttempt): Promise<void> {
    const now = this.clock.now();
    const device = this.deviceSlot(attempt);
    const state = await this.store.read(this.key(attempt), device ?? clientIpKey(attempt.ip), new Date(now));
    const wait = retryAfterSeconds(device === undefined ? state : { accountIp: state.accountIp }, now, this.policy);
    if (wait > 0) throw OAuthError.tooManyAttempts(wait);
  }

  async failed(attempt: LoginAttempt): Promise<void> {
    const now = this.clock.now();
    const times = {
      now: new Date(now),
      forgetBefore: new Date(now - forgetAfterSeconds(this.policy) * 1000),
      accountIpExpiresAt: new Date(now + forgetAfterSeconds(this.policy) * 1000),
      accountWindowEndsAt: new Date(now + this.policy.accountWindow * 1000),
    };
    const device = this.deviceSlot(attempt);
    const state =
      device === undefined
        ? await this.store.recordFailure(this.key(attempt), clientIpKey(attempt.ip), times)
        : { accountIp: await this.store.recordDeviceFailure(this.key(attempt), device, times) };
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

  /** The throttle row of the attempt's device, when it carries a valid device cookie for its username. */
  private deviceSlot(attempt: LoginAttempt): string | undefined {
    const device = this.devices.deviceOf(attempt.deviceCookie, attempt.username);
    // In the ip column: no client IP key starts with "device:".
    return device === undefined ? undefined : `device:${device}`;
  }

  private key(attempt: LoginAttempt): Buffer {
    // The RFC 8265 comparison key, as login compares: one account, one budget of guesses.
    return this.hashers.loginThrottle.hash(usernameKey(attempt.username));
  }
}
