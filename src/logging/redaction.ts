/**
 * What must never reach a log line (CONTRACT "Operations"): credentials by field name,
 * wherever an object is logged. pino's `redact` handles the known paths cheaply; `scrub`
 * is the defensive pass for objects of any shape.
 */
const SENSITIVE_NAME = /token|secret|password|passwd|hash|authorization|cookie|^code$|^csrf/i;

export const CENSORED = '[redacted]';

/** pino `redact` paths: the headers and fields that carry credentials, top level and one down. */
export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...['token', 'access_token', 'refresh_token', 'password', 'secret', 'client_secret', 'hash', 'code'].flatMap((name) => [
    name,
    `*.${name}`,
  ]),
];

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

/** A copy of `value` with every sensitive field censored, at any depth (cycles cut). */
export function scrub(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, seen));
  if (value instanceof Error) return { type: value.name, message: maskSecrets(value.message) };
  const copy: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) copy[name] = isSensitiveName(name) ? CENSORED : scrub(field, seen);
  return copy;
}

// Tessera's tokens, secrets and hashes are long base64url (or hex) runs; error messages
// from drivers and parsers may quote input. Such runs are masked in messages of errors.
const LONG_RUN = /[A-Za-z0-9_-]{24,}(?:\.[A-Za-z0-9_-]{8,}){0,2}/g;

/** An error message with anything that could be a token or a hash masked. */
export function maskSecrets(message: string): string {
  return message.replace(LONG_RUN, CENSORED);
}

/** A stack trace without its message, which `maskSecrets` handles: the frames only. */
export function stackFrames(error: Error): string | undefined {
  const frames = error.stack?.split('\n').filter((line) => /^\s+at /.test(line));
  return frames && frames.length > 0 ? frames.join('\n') : undefined;
}
