/** A user's login at Tessera's own pages: what the session cookie stands for. */
export interface LoginSession {
  readonly id: string;
  readonly userId: string;
  /** when the user last proved their password here (OIDC Core §2 auth_time) */
  readonly authTime: Date;
  /** what that login proved (RFC 8176 amr), e.g. ['pwd'] or ['pwd', 'otp', 'mfa'] */
  readonly amr: readonly string[];
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface Reauthentication {
  readonly tokenHash: Buffer;
  readonly now: Date;
  readonly amr: readonly string[];
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
}

export type LoginSessionEnd = 'logout' | 'replaced' | 'admin' | 'password_changed';

/** Owned by interaction/; implemented in persistence/. */
export abstract class LoginSessionStore {
  abstract insert(session: LoginSession, tokenHash: Buffer): Promise<void>;

  /**
   * The live session of this cookie hash, its idle expiry slid to now + idleSeconds
   * (capped by the absolute expiry) in the same statement; undefined when unknown, ended,
   * expired, or its user disabled.
   */
  abstract touch(tokenHash: Buffer, now: Date, idleSeconds: number): Promise<LoginSession | undefined>;

  /**
   * A new login in a live session: new auth_time and methods (what this login proved,
   * replacing what an earlier one did), a new cookie hash (the old cookie stops working:
   * no session fixation), a new absolute expiry.
   */
  abstract reauthenticate(id: string, login: Reauthentication): Promise<LoginSession | undefined>;

  abstract end(id: string, reason: LoginSessionEnd, now: Date): Promise<boolean>;

  /** Ends every live login session of the user, except `keepId` when given; returns how many ended. */
  abstract endAllOf(userId: string, reason: LoginSessionEnd, now: Date, keepId?: string): Promise<number>;

  /** The families started through the session (codes it issued, then redeemed) that are not revoked. */
  abstract liveFamilyIds(id: string): Promise<string[]>;
}
