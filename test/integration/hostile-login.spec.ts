import fc from 'fast-check';
import { BrowserAgent } from '../factories/browser.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { expectClientError, guardedCounts, hostileFormBody, hostileJsonBody, hostileValue, rawBody } from '../setup/hostile.js';

const ORIGIN = 'http://app.example.test';
const NAMES = ['username', 'password', 'client_id', 'scope'];

/**
 * Property: whatever reaches POST /auth/login (form or JSON, well-formed or not, with or
 * without its Origin and CSRF token), the answer is an RFC-style 4xx, never a 5xx, no
 * session is created, and a logged-in browser's session still works.
 */
describe('hostile input: POST /auth/login', () => {
  let t: TestApp;
  let spa: TestClient;
  let confidential: TestClient;
  let user: TestUser;
  let victim: TestUser;
  let locked: TestUser;
  let session: BrowserAgent;
  let attacker: BrowserAgent;
  let before: Record<string, number>;

  beforeAll(async () => {
    t = await startTestApp();
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    confidential = await createClient(t);
    user = await createUser(t);
    victim = await createUser(t);
    locked = await createUser(t);
    session = new BrowserAgent(t, ORIGIN);
    await session.login(spa, user);
    attacker = new BrowserAgent(t, ORIGIN);
    await attacker.fetchCsrf();
    before = await guardedCounts(t);
  });
  afterAll(async () => { await t.close(); });

  /** The headers of a browser on ORIGIN with its CSRF token, or one of the ways to get them wrong. */
  const headers = () =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant({}) },
      fc.constantFrom<Record<string, string | undefined>>(
        { origin: undefined },
        { origin: 'null' },
        { origin: 'http://evil.example' },
        { origin: `${ORIGIN}.evil.example` },
        { 'sec-fetch-site': 'cross-site' },
        { 'x-csrf-token': undefined },
        { 'x-csrf-token': 'x' },
        { cookie: undefined },
      ),
    );

  /** Login parameters that reach past the client check now and then: the real client, a known username. */
  const params = () =>
    fc.record(
      {
        username: fc.oneof(hostileValue, fc.constant(victim.username)),
        password: hostileValue,
        client_id: fc.oneof(hostileValue, { weight: 2, arbitrary: fc.constant(spa.id) }, fc.constant(confidential.id)),
        scope: hostileValue,
      },
      { requiredKeys: ['username', 'password', 'client_id'] },
    );

  const bodies = () =>
    fc.oneof(
      params().map((p) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams(p as Record<string, string>).toString() })),
      params().map((p) => ({ type: 'application/json', body: JSON.stringify(p) })),
      hostileFormBody(NAMES).map((body) => ({ type: 'application/x-www-form-urlencoded', body })),
      hostileJsonBody(NAMES).map((body) => ({ type: 'application/json', body })),
      rawBody.map((body) => ({ type: 'application/x-www-form-urlencoded', body })),
      rawBody.map((body) => ({ type: 'application/json', body })),
      fc.tuple(fc.constantFrom('text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'), fc.string()).map(([type, body]) => ({ type, body })),
    );

  async function post(override: Record<string, string | undefined>, type: string, body: string | Buffer) {
    const all: Record<string, string | undefined> = {
      origin: ORIGIN,
      'sec-fetch-site': 'same-origin',
      cookie: attacker.cookieHeader(),
      'x-csrf-token': attacker.csrf,
      'content-type': type,
      ...override,
    };
    const sent = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const response = await fetch(`${t.url}/auth/login`, { method: 'POST', headers: sent, body });
    return { status: response.status, text: await response.text(), setCookie: response.headers.getSetCookie() };
  }

  it('answers every hostile login with an RFC-style 4xx and sets no session cookie', async () => {
    await fc.assert(
      fc.asyncProperty(headers(), bodies(), async (override, { type, body }) => {
        const result = await post(override, type, body);
        // 429: the login throttle may step in for the known username; it is a 4xx like the others.
        expectClientError(result);
        expect(result.setCookie.filter((c) => c.startsWith('__Secure-tessera-refresh=') && !/Max-Age=0/i.test(c))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  // Issue 19, weak point 5: only a device cookie this server signed for this username lifts the lock.
  it('no forged device cookie gets a throttled account past its lock', async () => {
    const browser = new BrowserAgent(t, ORIGIN);
    await browser.fetchCsrf();
    const tryLogin = (password: string) => browser.request('POST', '/auth/login', { form: { username: locked.username, password, client_id: spa.id } });
    for (let i = 0; i < 5; i++) expect((await tryLogin(`wrong-${i}`)).status).toBe(400);
    expect((await tryLogin(locked.password)).status).toBe(429);
    const base64url = fc.stringMatching(/^[A-Za-z0-9_-]+$/);
    const forged = fc.oneof(
      fc.tuple(base64url, fc.nat(), base64url).map(([nonce, expires, mac]) => `${nonce}.${expires}.${mac}`),
      fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), fc.integer({ min: 1_700_000_000, max: 99_999_999_999 }), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/))
        .map(([nonce, expires, mac]) => `${nonce}.${expires}.${mac}`),
      fc.stringMatching(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,100}$/),
    );
    await fc.assert(
      fc.asyncProperty(forged, async (value) => {
        browser.jar.set('__Host-tessera-device', value);
        const result = await tryLogin(locked.password);
        expect({ value, status: result.status }).toEqual({ value, status: 429 });
      }),
      { numRuns: 100 },
    );
  });

  it('left every guarded table as it was, and the browser session still works', async () => {
    expect(await guardedCounts(t)).toEqual(before);
    expect((await session.refresh()).status).toBe(200);
  });
});
