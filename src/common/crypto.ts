import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { cryptoRandom } from './random.js';

// RFC 5869 §2.2: an absent salt is HashLen zero bytes.
const NO_SALT = Buffer.alloc(32);
const FIRST_BLOCK = Buffer.of(1);

/**
 * Derives a purpose-bound 256-bit key, so one secret never keys two algorithms:
 * HKDF-SHA-256 (RFC 5869) without salt, info `tessera:<purpose>`, 32 bytes. Written as its
 * two HMACs (extract, then the one expand block 32 bytes need) because node's hkdfSync
 * costs twice that per call, and a refresh derives one key from the presented token.
 */
export function deriveKey(secret: string | Buffer, purpose: string): Buffer {
  const prk = createHmac('sha256', NO_SALT).update(secret).digest();
  return createHmac('sha256', prk).update(`tessera:${purpose}`).update(FIRST_BLOCK).digest();
}

/** HMAC-SHA-256 under a server key: the database alone cannot confirm a guessed token. */
export class KeyedHasher {
  private readonly key: Buffer;

  constructor(secret: string, purpose: string) {
    this.key = deriveKey(secret, purpose);
  }

  hash(value: string): Buffer {
    return createHmac('sha256', this.key).update(value, 'utf8').digest();
  }

  matches(value: string, expected: Buffer): boolean {
    return constantTimeEqual(this.hash(value), expected);
  }
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM; the output is iv ‖ tag ‖ ciphertext. `aad` binds the blob to its row. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer = Buffer.alloc(0)): Buffer {
  // Random 96-bit IVs (NIST SP 800-38D §8.2.2), far below its 2^32 invocations per key.
  const iv = cryptoRandom.bytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Returns undefined when the blob was not sealed under this key and aad. */
export function unseal(key: Buffer, blob: Buffer, aad: Buffer = Buffer.alloc(0)): Buffer | undefined {
  if (blob.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, IV_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
