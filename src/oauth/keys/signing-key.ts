import type { SigningAlg } from '../../config/config.js';

export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** PKCS#8 DER, AES-256-GCM sealed under a key derived from KEY_ENCRYPTION_SECRET */
  readonly privateKeySealed: Buffer;
  readonly createdAt: Date;
  /** when it starts signing; until then a rotated key is only published (pending) */
  readonly activatesAt: Date;
  /** when it stops signing: its successor's activatesAt */
  readonly retiredAt: Date | null;
  /** when the last token it signed has expired: then it leaves the JWKS */
  readonly expiresAt: Date | null;
}

export type KeyState = 'pending' | 'active' | 'retired';

/**
 * Where a published key stands at `now`: pending until it activates (published, signing
 * nothing yet), active while it signs, retired once its successor signs (published until
 * its last token has expired).
 */
export function keyState(key: Pick<StoredSigningKey, 'activatesAt' | 'retiredAt'>, now: number): KeyState {
  if (key.activatesAt.getTime() > now) return 'pending';
  return key.retiredAt !== null && key.retiredAt.getTime() <= now ? 'retired' : 'active';
}

/** A key change that happened by the passing of time, claimed once for the audit log. */
export interface KeyChange {
  readonly change: 'activated' | 'retired';
  readonly kid: string;
  readonly at: Date;
}

/** Refused: a rotation while the previous one's key is still pending. */
export class KeyPendingError extends Error {
  constructor(
    readonly kid: string,
    readonly activatesAt: Date,
  ) {
    super(`key ${kid} is already pending and signs from ${activatesAt.toISOString()}; rotate again after that`);
  }
}

export abstract class SigningKeyStore {
  /** the newest key (active or pending), if any */
  abstract findNewest(): Promise<StoredSigningKey | undefined>;
  /** the active key, a pending one, and every retired key whose tokens may still be alive */
  abstract findPublishable(now: Date): Promise<StoredSigningKey[]>;
  /** The first key, active at once. Throws DuplicateError when another process created one first. */
  abstract createFirst(key: StoredSigningKey): Promise<void>;
  /**
   * Adds `key` as pending, atomically retiring the active key at `key.activatesAt` and
   * keeping it published until `retiredUntil`. Returns the retired key's kid; throws
   * KeyPendingError while another key is still pending.
   */
  abstract addPending(key: StoredSigningKey, now: Date, retiredUntil: Date): Promise<string>;
  /** Activations and retirements due at `now` that no process has audited yet, now marked audited. */
  abstract claimChanges(now: Date): Promise<KeyChange[]>;
}
