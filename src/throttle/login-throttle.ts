/** The failures of one username from one client IP (or IPv6 /64). */
export interface AccountIpState {
  readonly failures: number;
  readonly lastFailedAt: Date | null;
  /** a correct password came from this IP: the account-wide limit does not apply to it until then */
  readonly knownUntil: Date | null;
}

/** The failures of one username from every IP, counted in a fixed window. */
export interface AccountState {
  readonly failures: number;
  readonly windowStartedAt: Date;
  /** the end of the window */
  readonly expiresAt: Date;
}

export interface LoginThrottleState {
  readonly accountIp?: AccountIpState;
  readonly account?: AccountState;
}

export interface FailureTimes {
  readonly now: Date;
  /** an account+IP row whose last failure is older than this starts counting again from 1 */
  readonly forgetBefore: Date;
  readonly accountIpExpiresAt: Date;
  /** the end of a new account-wide window, if this failure starts one */
  readonly accountWindowEndsAt: Date;
}

/**
 * Owned by the login throttle; implemented in persistence/. Shared by every process, so
 * the limits hold however many WORKERS and hosts there are. Rows past expires_at are
 * meaningless to every method here and may be deleted by anyone.
 */
export abstract class LoginThrottleStore {
  /** Both rows of an attempt, unexpired at `now`: one indexed read. */
  abstract read(usernameKey: Buffer, ip: string, now: Date): Promise<LoginThrottleState>;
  /** Counts one failure in both rows, atomically, in one statement; the rows after it. */
  abstract recordFailure(usernameKey: Buffer, ip: string, times: FailureTimes): Promise<LoginThrottleState>;
  /**
   * Counts one failure of a trusted device (`device` in place of an IP) alone, with the
   * account+IP rules; the row after it. The account-wide row is not touched.
   */
  abstract recordDeviceFailure(usernameKey: Buffer, device: string, times: FailureTimes): Promise<AccountIpState>;
  /** Forgets the account+IP failures and marks the IP known until `knownUntil`. */
  abstract recordSuccess(usernameKey: Buffer, ip: string, now: Date, knownUntil: Date): Promise<void>;
  /** Deletes at most `limit` expired rows; how many it deleted. */
  abstract deleteExpired(now: Date, limit: number): Promise<number>;
}
