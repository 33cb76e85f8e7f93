import type { SigningAlg } from '../../config/config.js';

export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** PKCS#8 DER, AES-256-GCM sealed under a key derived from KEY_ENCRYPTION_SECRET */
  readonly privateKeySealed: Buffer;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
  /** when the last token it signed has expired: then it leaves the JWKS */
  readonly expiresAt: Date | null;
}

export abstract class SigningKeyStore {
  abstract findActive(): Promise<StoredSigningKey | undefined>;
  /** the active key and every retired key whose tokens may still be alive */
  abstract findPublishable(now: Date): Promise<StoredSigningKey[]>;
  /**
   * Retires the active key (if any) until `retiredUntil` and makes `key` the active one,
   * atomically. Throws DuplicateError when another process activated a key first.
   */
  abstract activate(key: StoredSigningKey, retiredUntil: Date): Promise<void>;
}
