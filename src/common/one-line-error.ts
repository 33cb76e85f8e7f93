import { ConfigError } from '../config/config.js';
import { InvalidInputError } from './errors.js';

/** What a person needs to read, on one line, without a stack trace or a secret. */
export function oneLineError(error: unknown): string {
  if (error instanceof ConfigError || error instanceof InvalidInputError) return error.message;
  if (error instanceof Error) return error.message.split('\n')[0];
  // Some libraries (PGlite's Emscripten file system) throw plain objects.
  const { message, name, errno } = (error ?? {}) as { message?: unknown; name?: unknown; errno?: unknown };
  if (typeof message === 'string' && message !== '') return message.split('\n')[0];
  if (typeof name === 'string') return typeof errno === 'number' ? `${name} (errno ${errno})` : name;
  return String(error);
}
