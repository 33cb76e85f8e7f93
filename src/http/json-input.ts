import { OAuthError } from '../oauth/errors/oauth-error.js';

/** One member's rule: its value, or the reason it was refused (shown to the caller). */
export type Rule<T> = (value: unknown) => { ok: true; value: T } | { ok: false; message: string };

interface Field<T> {
  readonly rule: Rule<T>;
  readonly required: boolean;
}

type Schema = Record<string, Field<unknown>>;
type Parsed<S extends Schema> = { [K in keyof S]: S[K] extends Field<infer T> ? (S[K]['required'] extends true ? T : T | undefined) : never };

export function required<T>(rule: Rule<T>): Field<T> & { required: true } {
  return { rule, required: true };
}

export function optional<T>(rule: Rule<T>): Field<T> & { required: false } {
  return { rule, required: false };
}

/**
 * Validates a JSON body (or a query string) against a schema: every bad member and every
 * unknown one is named in one 400 invalid_request, and nothing is silently dropped.
 */
export function parseInput<S extends Schema>(input: unknown, schema: S, what: 'body' | 'query' = 'body'): Parsed<S> {
  // Fastify's query parser builds prototype-less objects of its own class; a body must be plain JSON.
  if (what === 'body' ? !isPlainObject(input) : typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw OAuthError.invalidRequest(what === 'body' ? 'the body must be a JSON object (Content-Type: application/json)' : 'malformed query');
  }
  const errors: string[] = [];
  const result: Record<string, unknown> = {};
  const members = input as Record<string, unknown>;
  for (const name of Object.keys(members)) if (!Object.hasOwn(schema, name)) errors.push(`${name}: unknown field`);
  for (const [name, field] of Object.entries(schema)) {
    const value = members[name];
    if (value === undefined) {
      if (field.required) errors.push(`${name}: required`);
      continue;
    }
    const checked = field.rule(value);
    if (checked.ok) result[name] = checked.value;
    else errors.push(`${name}: ${checked.message}`);
  }
  if (errors.length > 0) throw OAuthError.invalidRequest(`invalid ${what}: ${errors.join('; ')}`);
  return result as Parsed<S>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export const string =
  (min = 1, max = 1024): Rule<string> =>
  (value) =>
    typeof value !== 'string'
      ? { ok: false, message: 'must be a string' }
      : value.length < min || value.length > max
        ? { ok: false, message: `must be ${min} to ${max} characters` }
        : { ok: true, value };

export const boolean: Rule<boolean> = (value) =>
  typeof value === 'boolean' ? { ok: true, value } : { ok: false, message: 'must be true or false' };

export const oneOf =
  <T extends string>(allowed: readonly T[]): Rule<T> =>
  (value) =>
    typeof value === 'string' && (allowed as readonly string[]).includes(value)
      ? { ok: true, value: value as T }
      : { ok: false, message: `must be one of ${allowed.join(', ')}` };

export const stringArray =
  (maxItems = 100): Rule<string[]> =>
  (value) =>
    Array.isArray(value) && value.length <= maxItems && value.every((item) => typeof item === 'string' && item.length <= 1024)
      ? { ok: true, value: value as string[] }
      : { ok: false, message: `must be an array of at most ${maxItems} strings` };

export const uuid: Rule<string> = (value) =>
  typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
    ? { ok: true, value: value.toLowerCase() }
    : { ok: false, message: 'must be a UUID' };

/** An RFC 3339 date-time (query strings carry it as text). */
export const timestamp: Rule<Date> = (value) => {
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i.test(value) ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? { ok: true, value: date } : { ok: false, message: 'must be an RFC 3339 date-time' };
};

/** A JSON number that is an integer within bounds. */
export const integer =
  (min: number, max: number): Rule<number> =>
  (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? { ok: true, value }
      : { ok: false, message: `must be an integer from ${min} to ${max}` };

/** The rule's value, or null (JSON null clears a member in a PATCH). */
export const nullable =
  <T>(rule: Rule<T>): Rule<T | null> =>
  (value) =>
    value === null ? { ok: true, value: null } : rule(value);

/** A decimal integer given as query text. */
export const queryInteger =
  (min: number, max: number): Rule<number> =>
  (value) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) && Number(value) >= min && Number(value) <= max
      ? { ok: true, value: Number(value) }
      : { ok: false, message: `must be an integer from ${min} to ${max}` };
