import { randomFillSync } from 'node:crypto';

/** Randomness is injected for the same reason as the clock: tests may pin it. */
export interface Random {
  bytes(length: number): Buffer;
}

export const RANDOM = Symbol('RANDOM');

const POOL_BYTES = 4_096;

/**
 * Bytes from the system CSPRNG, drawn a page at a time: each call into OpenSSL costs more
 * than the 12 to 32 bytes a token, jti or IV needs (4% of a client_credentials request
 * when each took its own call). Every byte is handed out once, as a copy, and zeroed in
 * the page as it goes (the page holds no copy of a token once issued); the page is refilled
 * only when used up, so no caller shares memory with the pool or with another caller.
 */
export class PooledRandom implements Random {
  private readonly pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  private offset = POOL_BYTES;

  bytes(length: number): Buffer {
    if (length > POOL_BYTES / 4) return randomFillSync(Buffer.allocUnsafe(length));
    if (this.offset + length > POOL_BYTES) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const out = Buffer.from(this.pool.subarray(this.offset, this.offset + length));
    this.pool.fill(0, this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
}

export const cryptoRandom: Random = new PooledRandom();

/** An opaque token with 256 random bits (RFC 6749 §10.10; RFC 9700 §4.14). */
export function opaqueToken(random: Random): string {
  return random.bytes(32).toString('base64url');
}
