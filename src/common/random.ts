import { randomBytes } from 'node:crypto';

/** Randomness is injected for the same reason as the clock: tests may pin it. */
export interface Random {
  bytes(length: number): Buffer;
}

export const RANDOM = Symbol('RANDOM');

export const cryptoRandom: Random = { bytes: (length) => randomBytes(length) };

/** An opaque token with 256 random bits (RFC 6749 §10.10; RFC 9700 §4.14). */
export function opaqueToken(random: Random): string {
  return random.bytes(32).toString('base64url');
}
