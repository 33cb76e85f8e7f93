/** A user's TOTP factor: confirmed, or an enrolment waiting for its first code. */
export interface TotpFactor {
  readonly userId: string;
  /** the base32 secret, AES-256-GCM sealed under KEY_ENCRYPTION_SECRET, bound to the user id */
  readonly secretSealed: Buffer;
  /** null while the enrolment waits for its first code */
  readonly confirmedAt: Date | null;
}

/** Failed codes in the throttle's current window. */
export interface SecondFactorAttempts {
  readonly count: number;
  readonly windowStartedAt: Date;
}

/** The state between a proven first factor and the second one. */
export interface SecondFactorChallenge {
  readonly userId: string;
  /** for a step-up: the login session the second factor is added to */
  readonly loginSessionId: string | null;
  /** what the login proved so far (RFC 8176), e.g. ['pwd'] */
  readonly methods: readonly string[];
  readonly expiresAt: Date;
}

/** Owned by second-factor/; implemented in persistence/. */
export abstract class SecondFactorStore {
  abstract find(userId: string): Promise<TotpFactor | undefined>;

  /** A new unconfirmed secret, replacing an unconfirmed one; false when a confirmed factor exists. */
  abstract startEnrolment(userId: string, secretSealed: Buffer, now: Date): Promise<boolean>;

  /**
   * The enrolment is confirmed by a code of `step` and the recovery codes stored, in one
   * transaction; false when there was no unconfirmed enrolment (confirmed meanwhile, removed).
   */
  abstract confirm(userId: string, step: number, recoveryCodeHashes: readonly Buffer[], now: Date): Promise<boolean>;

  /**
   * Compare-and-set of the last accepted time step: true only for a step after it, so a
   * code is accepted once across processes (RFC 6238 §5.2), and earlier ones never again.
   */
  abstract acceptStep(userId: string, step: number): Promise<boolean>;

  /** Marks an unused recovery code of the user used; true for exactly one caller. */
  abstract useRecoveryCode(userId: string, codeHash: Buffer, now: Date): Promise<boolean>;

  abstract unusedRecoveryCodes(userId: string): Promise<number>;

  /**
   * Counts one attempt at a code before it is checked (so parallel guesses all count),
   * starting a new window when the current one began before `windowStartsAfter`.
   */
  abstract countAttempt(userId: string, now: Date, windowStartsAfter: Date): Promise<SecondFactorAttempts | undefined>;

  /** A code was right: the attempts are forgotten. */
  abstract clearAttempts(userId: string): Promise<void>;

  /** The factor, its recovery codes and pending challenges go; false when there was no factor. */
  abstract remove(userId: string): Promise<boolean>;

  abstract insertChallenge(tokenHash: Buffer, challenge: SecondFactorChallenge, now: Date): Promise<void>;

  abstract findChallenge(tokenHash: Buffer, now: Date): Promise<SecondFactorChallenge | undefined>;

  /** Uses a live challenge up; undefined for all but one caller, or when expired. */
  abstract useChallenge(tokenHash: Buffer, now: Date): Promise<SecondFactorChallenge | undefined>;
}
