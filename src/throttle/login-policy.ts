import type { AppConfig } from '../config/config.js';
import type { LoginThrottleState } from './login-throttle.js';

export interface LoginPolicy {
  /** failures per account+IP answered at once; each further one doubles a wait from 1 s */
  readonly maxFailures: number;
  /** seconds: the cap of that wait */
  readonly lockoutMax: number;
  /** failures per account from all IPs within accountWindow before the account waits out the window */
  readonly accountMaxFailures: number;
  readonly accountWindow: number;
}

/** How long a correct password exempts its IP from the account-wide limit. */
export const KNOWN_IP_SECONDS = 30 * 86_400;

export function loginPolicy(config: AppConfig): LoginPolicy {
  return {
    maxFailures: config.loginMaxFailures,
    lockoutMax: config.loginLockoutMax,
    accountMaxFailures: config.loginAccountMaxFailures,
    accountWindow: config.loginAccountWindow,
  };
}

/** Seconds to wait after `failures` failures from one IP: 0, then 1, 2, 4, … up to the cap. */
export function backoffSeconds(failures: number, policy: LoginPolicy): number {
  if (failures < policy.maxFailures) return 0;
  return Math.min(2 ** (failures - policy.maxFailures), policy.lockoutMax);
}

/** Account+IP failures are forgotten this long after the last one: the longest wait, then as long again. */
export function forgetAfterSeconds(policy: LoginPolicy): number {
  return 2 * policy.lockoutMax;
}

/**
 * Whole seconds the next attempt must wait (0: it may go on). The account-wide limit
 * does not hold an IP where this username recently logged in: an attacker elsewhere
 * cannot lock the owner out from their usual network.
 */
export function retryAfterSeconds(state: LoginThrottleState, nowMs: number, policy: LoginPolicy): number {
  let until = nowMs;
  const { accountIp, account } = state;
  const last = accountIp?.lastFailedAt?.getTime();
  if (accountIp && last !== undefined && nowMs - last < forgetAfterSeconds(policy) * 1000) {
    until = Math.max(until, last + backoffSeconds(accountIp.failures, policy) * 1000);
  }
  const known = (accountIp?.knownUntil?.getTime() ?? 0) > nowMs;
  if (!known && account && account.failures >= policy.accountMaxFailures) {
    until = Math.max(until, account.expiresAt.getTime());
  }
  return Math.ceil((until - nowMs) / 1000);
}
