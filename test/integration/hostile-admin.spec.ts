import fc from 'fast-check';
import { createAdmin, type TestAdmin } from '../factories/admin.js';
import { createClient, createUser, login, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { expectClientError, guardedCounts, hostileJsonBody, hostileFormBody, hostileValue, rawBody } from '../setup/hostile.js';

const USER_FIELDS = ['username', 'password', 'admin', 'disabled'];
const CLIENT_FIELDS = ['client_id', 'type', 'grant_types', 'scopes', 'introspect', 'origins', 'access_token_format', 'audience', 'redirect_uris', 'first_party', 'require_par', 'dpop_bound_access_tokens'];
const QUERY_NAMES = ['username', 'limit', 'cursor', 'type', 'user_id', 'since', 'until'];

/**
 * Property: whatever reaches the admin API (random JSON of every type, unknown fields,
 * huge numbers, NULs, invalid UTF-8, SQL-ish text, bogus path ids and query members),
 * the answer is never a 5xx; an error is an RFC-style 4xx and changes no guarded row;
 * and the admin's token still works afterwards.
 */
describe('hostile input: the admin API', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let victim: TestUser;
  let userToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createAdmin(t);
    victim = await createUser(t);
    userToken = (await login(t, await createClient(t), await createUser(t))).access_token;
    await login(t, admin.client, victim);
  });
  afterAll(async () => { await t.close(); });

  const bogusId = fc.oneof(
    hostileValue.filter((value) => value !== '').map((value) => encodeURIComponent(value)),
    fc.constantFrom('%E0%A4%A', '%00', '%', '..', '.', 'A'.repeat(300), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-fffffffffffff'),
    fc.uuid(),
  );
  // A user id: the victim's (so PATCH and sessions reach the database) or a bogus one.
  const userId = () => fc.oneof(fc.constant(victim.user.id), bogusId);
  const query = fc.oneof(
    fc.constant(''),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), fc.string({ maxLength: 6 })), fc.oneof(hostileValue, fc.constantFrom('1e309', '99999999999999999999', '-1', '0', '1.5', '0x10', 'NaN'))), { maxLength: 4 })
      .map((pairs) => `?${pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&')}`),
    fc.constantFrom('?limit=1&limit=2', '?limit[]=1', '?cursor=%00', '?since=2026-13-45T99:99:99Z', '?user_id=%E0%A4%A', '?type=__proto__'),
  );
  const body = (fields: string[]) =>
    fc.oneof(
      { weight: 4, arbitrary: hostileJsonBody(fields).map((text) => ({ type: 'application/json', body: text })) },
      rawBody.map((bytes) => ({ type: 'application/json', body: bytes })),
      hostileFormBody(fields).map((text) => ({ type: 'application/x-www-form-urlencoded', body: text })),
    );
  // Well-shaped bodies with hostile values: these reach the services and the database.
  const json = (shape: fc.Arbitrary<Record<string, unknown>>) => shape.map((value) => ({ type: 'application/json', body: JSON.stringify(value) }));
  const grants = fc.constantFrom('password', 'refresh_token', 'client_credentials');
  const newUser = json(fc.record({ username: hostileValue, password: hostileValue, admin: fc.boolean() }, { requiredKeys: ['username', 'password'] }));
  const userChange = json(fc.record({ password: hostileValue, disabled: fc.constant(false), admin: fc.constant(false) }, { requiredKeys: [] }));
  const newClient = json(
    fc.record(
      {
        client_id: fc.oneof(hostileValue, { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9._~-]{0,20}$/) }),
        type: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('confidential', 'public') }, hostileValue),
        grant_types: fc.oneof(fc.array(grants, { minLength: 1, maxLength: 3 }), fc.array(fc.oneof(grants, hostileValue), { maxLength: 3 })),
        scopes: fc.array(hostileValue, { maxLength: 3 }),
        introspect: fc.boolean(),
        origins: fc.array(hostileValue, { maxLength: 2 }),
        access_token_format: fc.constantFrom('jwt', 'opaque'),
        audience: hostileValue,
      },
      { requiredKeys: ['client_id', 'type', 'grant_types'] },
    ),
  );
  const request = () =>
    fc.oneof(
      fc.tuple(fc.constant('GET'), query.map((q) => `/admin/users${q}`), fc.constant(undefined)),
      fc.tuple(fc.constant('GET'), userId().map((id) => `/admin/users/${id}`), fc.constant(undefined)),
      fc.tuple(fc.constant('PATCH'), userId().map((id) => `/admin/users/${id}`), fc.oneof(body(USER_FIELDS), userChange)),
      fc.tuple(fc.constant('POST'), fc.constant('/admin/users'), fc.oneof(body(USER_FIELDS), newUser)),
      fc.tuple(fc.constant('GET'), fc.tuple(userId(), query).map(([id, q]) => `/admin/users/${id}/sessions${q}`), fc.constant(undefined)),
      fc.tuple(fc.constant('DELETE'), bogusId.map((id) => `/admin/users/${id}/sessions`), fc.constant(undefined)),
      fc.tuple(fc.constant('DELETE'), bogusId.map((id) => `/admin/sessions/${id}`), fc.constant(undefined)),
      fc.tuple(fc.constant('POST'), fc.constant('/admin/clients'), fc.oneof(body(CLIENT_FIELDS), newClient)),
      fc.tuple(fc.constant('GET'), query.map((q) => `/admin/clients${q}`), fc.constant(undefined)),
      fc.tuple(fc.constant('DELETE'), bogusId.map((id) => `/admin/clients/${id}`), fc.constant(undefined)),
      fc.tuple(fc.constant('GET'), query.map((q) => `/admin/events${q}`), fc.constant(undefined)),
    );
  // Mostly the admin's token, so the input reaches the controllers; else the wrong credentials.
  const authorization = () =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant(`Bearer ${admin.token}`) },
      fc.constantFrom(undefined, 'Bearer', 'Bearer %%%', `Bearer ${userToken}`, `Basic ${admin.token}`, `Bearer ${admin.token}x`),
    );

  async function send(method: string, path: string, payload: { type: string; body: string | Buffer } | undefined, auth: string | undefined) {
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.authorization = auth;
    if (payload) headers['content-type'] = payload.type;
    const response = await fetch(`${t.url}${path}`, { method, headers, body: payload?.body });
    return { status: response.status, text: await response.text() };
  }

  it('answers hostile admin requests without a 5xx, and an error changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request(), authorization(), async ([method, path, payload], auth) => {
        const before = await guardedCounts(t);
        const result = await send(method, path, payload, auth);
        // A well-formed request may succeed (the victim's own id, a valid new user); it is never a 5xx.
        expectClientError(result, (status) => status === 200 || status === 201 || status === 204);
        if (result.status >= 400) expect(await guardedCounts(t)).toEqual(before);
      }),
      {
        numRuns: 200,
        // Found by a CI run: a NUL in a member the schema passes on reached Postgres (a 500).
        examples: [
          [
            ['POST', '/admin/clients', { type: 'application/json', body: JSON.stringify({ client_id: 'a', type: 'confidential', grant_types: ['password'], audience: 'a\u0000b' }) }],
            `Bearer ${admin.token}`,
          ],
        ],
      },
    );
  });

  // Issue 19, defect 8: variants of one RFC 8265 username are one account.
  it('never registers two usernames that are one under RFC 8265 (case, width, normalisation)', async () => {
    const variants: Record<string, (name: string) => string> = {
      upper: (name) => name.toUpperCase(),
      lower: (name) => name.toLowerCase(),
      nfd: (name) => name.normalize('NFD'),
      fullwidth: (name) => name.replace(/[\x21-\x7e]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
    };
    const register = (username: string) =>
      send('POST', '/admin/users', { type: 'application/json', body: JSON.stringify({ username, password: 'a password long enough' }) }, `Bearer ${admin.token}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), fc.stringMatching(/^[A-Za-zß-ÿ0-9._@-]{1,10}$/)),
        fc.constantFrom(...Object.keys(variants)),
        async (name, variant) => {
          const first = await register(name);
          expectClientError(first, (status) => status === 201);
          if (first.status !== 201) return;
          const second = await register(variants[variant](name));
          expect({ name, variant, refused: [400, 409].includes(second.status) }).toEqual({ name, variant, refused: true });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('left the admin token working', async () => {
    const answer = await send('GET', `/admin/users/${admin.user.id}`, undefined, `Bearer ${admin.token}`);
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as { username: unknown }).username).toBe(admin.username);
  });
});
