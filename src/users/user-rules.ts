import { InvalidInputError } from '../common/errors.js';

/** Refused before any hashing: argon2 work must not be something a caller can inflate. */
export const MAX_PASSWORD_BYTES = 1024;
const MIN_PASSWORD_LENGTH = 8;
const MAX_USERNAME_LENGTH = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) throw new InvalidInputError('password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!passwordWithinLimit(password)) throw new InvalidInputError('password', `must be at most ${MAX_PASSWORD_BYTES} bytes`);
}

export function passwordWithinLimit(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}

export function usernameWithinLimit(username: string): boolean {
  return username.length <= MAX_USERNAME_LENGTH;
}

/** The username as stored (NFC), or InvalidInputError. */
export function validUsername(raw: string): string {
  const username = raw.normalize('NFC');
  if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) {
    throw new InvalidInputError('username', `must be 1 to ${MAX_USERNAME_LENGTH} characters`);
  }
  if (CONTROL.test(username) || username.trim() !== username) {
    throw new InvalidInputError('username', 'may not contain control characters or surrounding spaces');
  }
  return username;
}
