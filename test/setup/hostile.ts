import fc from 'fast-check';
import type { TestApp } from './app.js';

// Tables whose rows hostile input must never change (the audit log records failed logins by design).
export const GUARDED = ['users', 'clients', 'families', 'refresh_tokens', 'signing_keys', 'revoked_access_tokens', 'opaque_access_tokens', 'revocation_events'];

const GRANTS = ['password', 'refresh_token', 'client_credentials', 'authorization_code', 'urn:x', ''];

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Values an attacker would try: SQL, NULs, control and non-BMP characters, huge strings, JWT tricks. */
export const hostileValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '\u0000',
    'a\u0000b',
    '%00',
    '%',
    '%E0%A4%A',
    '%C3%28',
    '../../etc/passwd',
    '\\x00',
    'null',
    '[]',
    '{}',
    '𝕏'.repeat(300),
    'A'.repeat(4096),
    `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: 'x', exp: 9999999999 })}.`,
    `${b64({ alg: 'HS256', typ: 'at+jwt', kid: "' OR 1=1 --" })}.${b64({ sub: 'x' })}.AAAA`,
    `${b64({ alg: 'ES256', typ: 'at+jwt', jku: 'http://127.0.0.1:9/jwks' })}.${b64({ sub: 'x' })}.AAAA`,
    `${b64('not json')}.${b64('x')}.${b64('y')}`,
    'a.b.c.d.e',
    '...',
  ),
  ...GRANTS.map((grant) => fc.constant(grant)),
);

/** JSON member values of every type, the awkward numbers included. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileValue,
  fc.constantFrom('\uD800', 'x\uDFFFy', true, false, null, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1, [], {}, [null], { $ne: null }, { admin: true }),
  fc.integer(),
  fc.double(),
  fc.array(hostileValue, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), hostileValue, { maxKeys: 3 }),
);

/** A JSON text with the given member names among random ones; sometimes not JSON at all. */
export function hostileJsonBody(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(fc.constantFrom(...names), fc.constantFrom('__proto__', 'constructor', ''), fc.string({ maxLength: 10 }));
  return fc.oneof(
    fc.array(fc.tuple(name, hostileJson), { maxLength: 6 }).map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.constantFrom('', 'null', '[]', '"x"', '{', '{"a":1,"a":2}', '{"username":"\\u0000"}', '{"x":1e999999}', `[${'['.repeat(5000)}`),
    fc.string({ maxLength: 60 }),
  );
}

/** A form body with the given parameter names among random ones, encoded properly or not. */
export function hostileFormBody(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(fc.constantFrom(...names), fc.constantFrom(...names.map((n) => `${n}[]`), 'a[b]'), fc.string({ maxLength: 12 }));
  return fc.oneof(
    fc.array(fc.tuple(name, hostileValue), { maxLength: 8 }).map((pairs) => pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&')),
    fc.array(fc.tuple(name, hostileValue), { maxLength: 6 }).map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('&')),
    fc.string({ maxLength: 200 }),
  );
}

export const rawBody = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));

/** Row counts of the guarded tables. */
export async function guardedCounts(t: TestApp): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of GUARDED) result[table] = (await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
  return result;
}

/** A 4xx (or a success the caller judges), never a 5xx; an error is RFC 6749 §5.2 JSON without a stack trace. */
export function expectClientError(result: { status: number; text: string }, allowed: (status: number) => boolean = () => false): void {
  if (result.status < 400 && allowed(result.status)) return;
  if (result.status < 400 || result.status >= 500) throw new Error(`expected a 4xx, got ${result.status}: ${result.text.slice(0, 300)}`);
  const body = JSON.parse(result.text) as Record<string, unknown>;
  expect(typeof body.error).toBe('string');
  expect(result.text).not.toMatch(/\bat .+:\d+:\d+/);
}
