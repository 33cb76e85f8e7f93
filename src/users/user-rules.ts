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

/** RFC 5321 §4.5.3.1.3 caps a path, and so an address, at 254 octets. */
const MAX_EMAIL_LENGTH = 254;
const MAX_NAME_LENGTH = 256;
// local@domain, no spaces or controls: a deliverable-looking address, not full RFC 5322.
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;
const CONTROL = /\p{Cc}/u;

export function validEmail(raw: string): string {
  if (Buffer.byteLength(raw, 'utf8') > MAX_EMAIL_LENGTH) throw new InvalidInputError('email', `must be at most ${MAX_EMAIL_LENGTH} bytes`);
  if (!EMAIL.test(raw)) throw new InvalidInputError('email', 'must be an email address (local@domain)');
  return raw.normalize('NFC');
}

export function validName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw new InvalidInputError('name', `must be 1 to ${MAX_NAME_LENGTH} characters`);
  if (CONTROL.test(name)) throw new InvalidInputError('name', 'must not contain control characters');
  return name;
}
