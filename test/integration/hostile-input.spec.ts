import fc from 'fast-check';
import { createClient, createUser, login, type TestClient } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { GUARDED, hostileValue, rawBody } from '../setup/hostile.js';

const NAMES = ['grant_type', 'username', 'password', 'refresh_token', 'scope', 'client_id', 'client_secret', 'token', 'token_type_hint'];

const hostileName = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.constantFrom(...NAMES.map((name) => `${name}[]`), 'a[b]', 'token[0]'),
  fc.string({ maxLength: 12 }),
);

/** A form body, encoded properly or not, with names possibly repeated. */
const hostileForm = fc.oneof(
  fc.array(fc.tuple(hostileName, hostileValue), { maxLength: 8 }).map((pairs) =>
    pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&'),
  ),
  fc.array(fc.tuple(hostileName, hostileValue), { maxLength: 6 }).map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('&')),
  fc.string({ maxLength: 200 }),
);

const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
);

/**
 * Property: whatever arrives, the answer is an RFC-style 4xx (or the endpoint's normal
 * 200 for an unknown token), never a 5xx, and nothing in the guarded tables changes.
 */
describe('hostile input', () => {
  let t: TestApp;
  let client: TestClient;
  let resourceServer: TestClient;
  let session: Record<string, string>;
  let before: Record<string, number>;

  async function counts(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of GUARDED) {
      result[table] = (await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    }
    return result;
  }

  async function send(path: string, body: string | Buffer, type: string, authorization?: string) {
    const headers: Record<string, string> = {};
    if (type) headers['content-type'] = type;
    if (authorization) headers.authorization = authorization;
    const response = await fetch(`${t.url}${path}`, { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, text };
  }

  function expectWellFormed(result: { status: number; text: string }, path: string): void {
    expect(result.status).toBeLessThan(500);
    if (result.status >= 400) {
      const body = JSON.parse(result.text) as Record<string, unknown>;
      expect(typeof body.error).toBe('string');
      expect(result.text).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
    } else if (path === '/oauth/introspect') {
      expect(JSON.parse(result.text)).toEqual({ active: false });
    } else if (path === '/oauth/revoke') {
      expect(result.text).toBe('{}');
    }
  }

  beforeAll(async () => {
    t = await startTestApp();
    client = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    const user = await createUser(t);
    session = await login(t, client, user);
    before = await counts();
  });
  afterAll(async () => { await t.close(); });

  const endpoints = () => [
    { path: '/oauth/token', auth: [client.basic, undefined, 'Basic %%%', 'Bearer x'] },
    { path: '/oauth/introspect', auth: [resourceServer.basic, client.basic, undefined] },
    { path: '/oauth/revoke', auth: [client.basic, undefined] },
  ];

  it.each(['/oauth/token', '/oauth/introspect', '/oauth/revoke'])('%s: random forms never get a 5xx', async (path) => {
    const { auth } = endpoints().find((e) => e.path === path)!;
    await fc.assert(
      fc.asyncProperty(hostileForm, contentType, fc.constantFrom(...auth), async (body, type, authorization) => {
        expectWellFormed(await send(path, body, type, authorization), path);
      }),
      { numRuns: 120 },
    );
  });

  it.each(['/oauth/token', '/oauth/introspect', '/oauth/revoke'])('%s: random bytes, invalid UTF-8 included, never get a 5xx', async (path) => {
    const { auth } = endpoints().find((e) => e.path === path)!;
    await fc.assert(
      fc.asyncProperty(rawBody, fc.constantFrom(...auth), async (body, authorization) => {
        expectWellFormed(await send(path, body, 'application/x-www-form-urlencoded', authorization), path);
      }),
      { numRuns: 60 },
    );
  });

  it('answers a body over 64 KiB with 413 and an RFC-style error', async () => {
    const result = await send('/oauth/token', `grant_type=password&username=${'a'.repeat(70 * 1024)}`, 'application/x-www-form-urlencoded', client.basic);
    expect(result.status).toBe(413);
    expect((JSON.parse(result.text) as { error: unknown }).error).toBe('invalid_request');
  });

  it('left every guarded table as it was, and the session still works', async () => {
    expect(await counts()).toEqual(before);
    const introspected = await send('/oauth/introspect', `token=${session.access_token}`, 'application/x-www-form-urlencoded', resourceServer.basic);
    expect((JSON.parse(introspected.text) as { active: unknown }).active).toBe(true);
    const refreshed = await send('/oauth/token', `grant_type=refresh_token&refresh_token=${session.refresh_token}`, 'application/x-www-form-urlencoded', client.basic);
    expect(refreshed.status).toBe(200);
  });
});
