import { z } from 'zod';

/*
 * The rules request schemas are built from. Each carries the message the caller reads after
 * the member's name ("name: must be ..."), and none coerces: a query integer is digits, a
 * boolean is true or false, never "1" or "yes".
 */

export const text = (min = 1, max = 1024) => {
  const length = `must be ${min} to ${max} characters`;
  return z.string({ error: 'must be a string' }).min(min, length).max(max, length);
};

export const flag = z.boolean({ error: 'must be true or false' });

export const oneOf = <const T extends readonly string[]>(allowed: T) =>
  z.enum(allowed as T & readonly [string, ...string[]], { error: `must be one of ${allowed.join(', ')}` });

export const stringList = (maxItems = 100) => {
  const message = `must be an array of at most ${maxItems} strings`;
  return z.array(z.string({ error: message }).max(1024, message), { error: message }).max(maxItems, message);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Compared lowercase, as Postgres prints them. */
export const uuid = z
  .string({ error: 'must be a UUID' })
  .regex(UUID, 'must be a UUID')
  .meta({ format: 'uuid', pattern: undefined })
  .transform((value) => value.toLowerCase());

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 date-time (query strings carry it as text). */
export const timestamp = z
  .string({ error: 'must be an RFC 3339 date-time' })
  .regex(RFC3339, 'must be an RFC 3339 date-time')
  .meta({ format: 'date-time', pattern: undefined })
  .transform((value, context) => {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
    context.issues.push({ code: 'custom', message: 'must be an RFC 3339 date-time', input: value });
    return z.NEVER;
  });

/** A JSON number that is an integer within bounds. */
export const integer = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z.int({ error: message }).min(min, message).max(max, message);
};

/** A decimal integer given as query text; documented as the integer it stands for. */
export const queryInteger = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .string({ error: message })
    .regex(/^\d{1,9}$/, message)
    .meta({ type: 'integer', minimum: min, maximum: max, pattern: undefined })
    .transform(Number)
    .refine((value) => value >= min && value <= max, message);
};
