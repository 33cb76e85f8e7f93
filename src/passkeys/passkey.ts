/** A user's passkey: a WebAuthn public key credential registered for Tessera's RP ID. */
export interface Passkey {
  readonly id: string;
  readonly userId: string;
  /** the credential ID, base64url (WebAuthn §4 "Credential ID") */
  readonly credentialId: string;
  /** COSE_Key (§6.5.1.1) */
  readonly publicKey: Uint8Array<ArrayBuffer>;
  /** the signature counter last reported (§6.1.1) */
  readonly signCount: number;
  readonly transports: readonly string[];
  /** BE (§6.3.3): may be synced to other devices; fixed for the credential's life */
  readonly backupEligible: boolean;
  /** BS: is backed up, as of its last use */
  readonly backedUp: boolean;
  readonly aaguid: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

/** What a passkey sign-in reads: the credential and whether its user may sign in at all. */
export interface PasskeyOwner {
  readonly passkey: Passkey;
  readonly userDisabled: boolean;
}

/** Owned by passkeys/; implemented in persistence/. */
export abstract class PasskeyStore {
  /** Throws DuplicateError when the credential ID is registered already (to anyone). */
  abstract insert(passkey: Passkey): Promise<void>;
  /** Oldest first. */
  abstract listOfUser(userId: string): Promise<Passkey[]>;
  abstract findByCredentialId(credentialId: string): Promise<PasskeyOwner | undefined>;
  /**
   * A verified use: the new counter and backup state, if the counter is still the one the
   * verification compared against (of two sign-ins racing with one assertion, one wins).
   */
  abstract recordUse(id: string, seenCount: number, use: { readonly signCount: number; readonly backedUp: boolean; readonly at: Date }): Promise<boolean>;
  /** False when the user has no such passkey. */
  abstract delete(userId: string, id: string): Promise<boolean>;
}

/** Owned by passkeys/; implemented in persistence/. */
export abstract class PasskeyChallengeStore {
  abstract insert(hash: Buffer, binding: Buffer, expiresAt: Date): Promise<void>;
  /** Deletes the challenge if it is bound to `binding` and live; true for the one caller that did. */
  abstract consume(hash: Buffer, binding: Buffer, now: Date): Promise<boolean>;
}

/**
 * The authentication methods (RFC 8176) a passkey sign-in proves. User verification is
 * required for a passwordless sign-in, so the key and the PIN or biometric behind it are two
 * factors (`mfa`). A backup-eligible credential may live in a synced, software keychain
 * (`swk`); one that is not stays in the authenticator's hardware (`hwk`).
 */
export function passkeyAmr(passkey: Pick<Passkey, 'backupEligible'>): string[] {
  return [passkey.backupEligible ? 'swk' : 'hwk', 'mfa'];
}
