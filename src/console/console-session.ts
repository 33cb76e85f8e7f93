/** A browser's sign-in to the admin console, before and after Tessera's own login. */
export interface PendingConsoleSession {
  readonly id: string;
  /** RFC 6749 §10.12: the callback must bring it back */
  readonly state: string;
  /** RFC 7636 §4.1: kept here, never sent to the browser */
  readonly codeVerifier: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A signed-in console session: its admin and the family Tessera's code flow started for it. */
export interface ConsoleSession {
  readonly id: string;
  readonly userId: string;
  readonly familyId: string;
}

/** Owned by console/; implemented in persistence/. */
export abstract class ConsoleSessionStore {
  abstract insertPending(session: PendingConsoleSession, tokenHash: Buffer): Promise<void>;

  /**
   * Takes the state and verifier of a pending session, exactly once: a second callback
   * with the same cookie (a replay, a race) finds nothing. Undefined when unknown,
   * already taken or expired.
   */
  abstract claimPending(tokenHash: Buffer, now: Date): Promise<PendingConsoleSession | undefined>;

  /** The claimed session is signed in, under a new cookie hash (no fixation of the pre-login one). */
  abstract signIn(id: string, tokenHash: Buffer, userId: string, familyId: string, expiresAt: Date): Promise<void>;

  /**
   * The signed-in session of this cookie hash, while it has not expired, its family is
   * live (neither revoked nor expired) and its user enabled; else undefined.
   */
  abstract current(tokenHash: Buffer, now: Date): Promise<ConsoleSession | undefined>;

  abstract delete(id: string): Promise<void>;
}
