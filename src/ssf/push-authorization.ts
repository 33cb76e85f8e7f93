import { deriveKey, seal, unseal } from '../common/crypto.js';

/**
 * The Authorization header a receiver gives for its push endpoint (SSF 1.0 §6.1.1) is a
 * credential: sealed at rest with a key derived from KEY_ENCRYPTION_SECRET, bound to its stream.
 */
export class PushAuthorization {
  private readonly key: Buffer;

  constructor(keyEncryptionSecret: string) {
    this.key = deriveKey(keyEncryptionSecret, 'ssf-push-authorization');
  }

  seal(streamId: string, header: string): Buffer {
    return seal(this.key, Buffer.from(header, 'utf8'), Buffer.from(streamId));
  }

  /** undefined when it cannot be opened (another secret, another stream) */
  open(streamId: string, sealed: Buffer): string | undefined {
    return unseal(this.key, sealed, Buffer.from(streamId))?.toString('utf8');
  }
}
