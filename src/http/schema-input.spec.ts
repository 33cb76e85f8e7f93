import { z } from 'zod';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { parseInput } from './schema-input.js';
import { flag, oneOf, queryInteger, stringList, text, timestamp, uuid } from './schema-rules.js';

const Body = z.strictObject({ name: text(1, 8), admin: flag.optional(), kind: oneOf(['a', 'b']).optional(), tags: stringList(2).optional() });
const Query = z.strictObject({ limit: queryInteger(1, 200).optional(), since: timestamp.optional(), user_id: uuid.optional() });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).status).toBe(400);
    return (error as OAuthError).description;
  }
  throw new Error('accepted');
}

describe('parseInput', () => {
  it('names unknown members first, then each bad or missing one in schema order', () => {
    expect(refusal(() => parseInput(Body, { tags: ['x', 'y', 'z'], extra: 1, admin: 'yes' }, 'body'))).toBe(
      'invalid body: extra: unknown field; name: required; admin: must be true or false; tags: must be an array of at most 2 strings',
    );
    expect(refusal(() => parseInput(Body, { name: '', kind: 'c' }, 'body'))).toBe('invalid body: name: must be 1 to 8 characters; kind: must be one of a, b');
  });

  it('coerces nothing and drops nothing', () => {
    expect(refusal(() => parseInput(Body, { name: 5, admin: 1 }, 'body'))).toBe('invalid body: name: must be a string; admin: must be true or false');
    expect(parseInput(Body, { name: 'carol', admin: false }, 'body')).toEqual({ name: 'carol', admin: false });
  });

  it('refuses a NUL character anywhere in a member, which no text column can hold', () => {
    expect(refusal(() => parseInput(Body, { name: 'a\u0000b', tags: ['x', 'y\u0000'], kind: 'a' }, 'body'))).toBe(
      'invalid body: name: may not contain a NUL character; tags: may not contain a NUL character',
    );
    // The other reasons are still named, in one answer.
    expect(refusal(() => parseInput(Query, { limit: '0', user_id: 'a\u0000' }, 'query'))).toBe(
      'invalid query: limit: must be an integer from 1 to 200; user_id: may not contain a NUL character',
    );
    expect(refusal(() => parseInput(Query, { 'limit\u0000': '1' }, 'query'))).toBe('invalid query: limit\u0000: unknown field');
    expect(refusal(() => parseInput(z.object({ nested: z.unknown() }), { nested: { 'k\u0000': 1 } }, 'body'))).toBe('invalid body: nested: may not contain a NUL character');
  });

  it('takes only a plain JSON object as a body', () => {
    for (const body of [undefined, null, [], 'text', new (class Form { name = 'x'; })()]) {
      expect(refusal(() => parseInput(Body, body, 'body'))).toBe('the body must be a JSON object (Content-Type: application/json)');
    }
  });

  it('reads query text into the values it stands for, and refuses repeated members', () => {
    const query = Object.assign(Object.create(null) as object, { limit: '20', since: '2026-01-02T03:04:05Z', user_id: 'AAAAAAAA-0000-0000-0000-000000000000' });
    expect(parseInput(Query, query, 'query')).toEqual({ limit: 20, since: new Date('2026-01-02T03:04:05Z'), user_id: 'aaaaaaaa-0000-0000-0000-000000000000' });
    expect(refusal(() => parseInput(Query, { limit: ['1', '2'], since: '2026-13-45T99:99:99Z' }, 'query'))).toBe(
      'invalid query: limit: must be an integer from 1 to 200; since: must be an RFC 3339 date-time',
    );
    expect(refusal(() => parseInput(Query, { limit: '0' }, 'query'))).toBe('invalid query: limit: must be an integer from 1 to 200');
  });
});
