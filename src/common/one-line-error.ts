import { ConfigError } from '../config/config.js';
import { InvalidInputError } from './errors.js';

/** What a person needs to read, on one line, without a stack trace or a secret. */
export function oneLineError(error: unknown): string {
  if (error instanceof ConfigError || error instanceof InvalidInputError) return error.message;
  if (error instanceof Error) return error.message.split('\n')[0];
  return String(error);
}
