import { InvalidInputError } from '../common/errors.js';
import { MAX_USERNAME_LENGTH, usernameProblem } from './username.js';

/** Refused before any hashing: argon2 work must not be something a caller can inflate. */
export const MAX_PASSWORD_BYTES = 1024;
const MIN_PASSWORD_LENGTH = 8;

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

/** The display form kept in users.username: NFC of what was typed, once the RFC 8265 rules hold. */
export function validUsername(raw: string): string {
  const problem = usernameProblem(raw);
  if (problem !== undefined) throw new InvalidInputError('username', problem);
  return raw.normalize('NFC');
}
