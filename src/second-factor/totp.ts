import { Secret, TOTP } from 'otpauth';
import type { Random } from '../common/random.js';

/**
 * RFC 6238 with the parameters every authenticator app supports (Google Authenticator
 * ignores any other): HMAC-SHA-1, 6 digits, 30-second steps.
 */
const PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** RFC 4226 §4 R6: at least 128 bits, 160 recommended (the size of an HMAC-SHA-1 output). */
const SECRET_BYTES = 20;
/** RFC 6238 §5.2: one step either side absorbs clock drift and the time it takes to type. */
const WINDOW = 1;

export const TOTP_CODE = /^[0-9]{6}$/;

/** A new shared secret, base32 (RFC 4648 §6) as otpauth URIs and apps expect it. */
export function newTotpSecret(random: Random): string {
  return new Secret({ buffer: toArrayBuffer(random.bytes(SECRET_BYTES)) }).base32;
}

/** The Key Uri Format authenticator apps scan: otpauth://totp/<issuer>:<account>?secret=…&issuer=… */
export function totpUri(issuer: string, account: string, secret: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secret), ...PARAMETERS }).toString();
}

/**
 * The time step (RFC 6238 §4.2 T) of the code, if it is the code of a step within the
 * window around `now`; the caller accepts a step once (§5.2: "MUST NOT" accept a second
 * use of the same OTP).
 */
export function matchingStep(secret: string, code: string, now: number): number | undefined {
  if (!TOTP_CODE.test(code)) return undefined;
  const delta = TOTP.validate({ token: code, secret: Secret.fromBase32(secret), timestamp: now, window: WINDOW, ...PARAMETERS });
  return delta === null ? undefined : TOTP.counter({ period: PARAMETERS.period, timestamp: now }) + delta;
}

/** The code of `now`, as an authenticator app computes it (the tests play the app with it). */
export function totpCode(secret: string, now: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now, ...PARAMETERS });
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
