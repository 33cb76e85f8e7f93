import { BrowserAgent, CSRF_COOKIE, REFRESH_COOKIE, type BrowserResult, type RequestOptions } from '../factories/browser.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const GRACE = 10;
const ORIGIN = 'http://app.example.test';
const OTHER_ORIGIN = 'http://other-app.example.test';
const FORGED = `${'A'.repeat(22)}.${'B'.repeat(43)}`;

/**
 * Every way a forged request can miss a CSRF layer (Fetch Metadata, Origin, the
 * double-submitted token bound to the family) is a 403 that changes nothing: the
 * session's refresh token is not consumed, not rotated, not revoked, and no cookie is
 * touched. Each case forges exactly one thing on an otherwise valid request.
 */
describe('browser sessions: CSRF and origin checks', () => {
  let t: TestApp;
  let spa: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: String(GRACE) });
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [OTHER_ORIGIN] });
    user = await createUser(t);
  });
  afterAll(async () => { await t.close(); });

  interface Session {
    readonly browser: BrowserAgent;
    readonly sid: string;
    readonly refreshToken: string;
    readonly csrf: string;
  }

  async function session(): Promise<Session> {
    const browser = new BrowserAgent(t, ORIGIN);
    const login = await browser.login(spa, user);
    return { browser, sid: String(jwtClaims(String(login.body.access_token)).sid), refreshToken: browser.refreshToken!, csrf: browser.csrf! };
  }

  async function state(sid: string) {
    const [family] = await t.db.dataSource.query<Array<Record<string, unknown>>>(`SELECT revoked_at, last_used_at, idle_expires_at FROM families WHERE id = $1`, [sid]);
    const tokens = await t.db.dataSource.query<Array<Record<string, unknown>>>(`SELECT generation, issued_at FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`, [sid]);
    return { family, tokens };
  }

  function expectRefused(result: BrowserResult): void {
    expect(result.status).toBe(403);
    expect(result.body.error).toBe('access_denied');
    expect(result.setCookies).toEqual([]);
    expect(result.headers.get('x-csrf-token')).toBeNull();
  }

  /** The session is as it was, and its token still rotates, even past the grace window (so it was never used). */
  async function expectUntouched(s: Session, before: Awaited<ReturnType<typeof state>>): Promise<void> {
    expect(await state(s.sid)).toEqual(before);
    expect(s.browser.refreshToken).toBe(s.refreshToken);
    t.clock.advance(GRACE + 1);
    expect((await s.browser.refresh()).status).toBe(200);
  }

  const cookies = (...pairs: Array<[string, string]>) => pairs.map(([name, value]) => `${name}=${value}`).join('; ');

  /** One forged detail each; everything else is what the page would send. */
  const forgeries: Array<{ name: string; forge: (s: Session, other: Session) => RequestOptions }> = [
    { name: 'Sec-Fetch-Site: cross-site', forge: () => ({ headers: { 'sec-fetch-site': 'cross-site' } }) },
    { name: 'Sec-Fetch-Site: none', forge: () => ({ headers: { 'sec-fetch-site': 'none' } }) },
    { name: 'no Origin', forge: () => ({ headers: { origin: undefined } }) },
    { name: 'Origin: null', forge: () => ({ headers: { origin: 'null' } }) },
    { name: 'an unregistered Origin', forge: () => ({ headers: { origin: 'http://evil.example' } }) },
    { name: "another browser client's Origin", forge: () => ({ headers: { origin: OTHER_ORIGIN } }) },
    { name: 'no X-CSRF-Token header', forge: () => ({ csrf: null }) },
    { name: 'an X-CSRF-Token other than the cookie', forge: (_s, other) => ({ csrf: other.csrf }) },
    { name: 'no CSRF cookie', forge: (s) => ({ headers: { cookie: cookies([REFRESH_COOKIE, s.refreshToken]) } }) },
    {
      name: 'the CSRF token of another family, in header and cookie',
      forge: (s, other) => ({ csrf: other.csrf, headers: { cookie: cookies([REFRESH_COOKIE, s.refreshToken], [CSRF_COOKIE, other.csrf]) } }),
    },
    {
      name: 'a made-up CSRF token, in header and cookie',
      forge: (s) => ({ csrf: FORGED, headers: { cookie: cookies([REFRESH_COOKIE, s.refreshToken], [CSRF_COOKIE, FORGED]) } }),
    },
    {
      name: 'the refresh cookie twice',
      forge: (s, other) => ({ headers: { cookie: cookies([REFRESH_COOKIE, s.refreshToken], [REFRESH_COOKIE, other.refreshToken], [CSRF_COOKIE, s.csrf]) } }),
    },
    {
      name: 'the CSRF cookie twice',
      forge: (s) => ({ headers: { cookie: cookies([REFRESH_COOKIE, s.refreshToken], [CSRF_COOKIE, s.csrf], [CSRF_COOKIE, FORGED]) } }),
    },
  ];

  describe.each(['/auth/refresh', '/auth/logout'])('POST %s', (path) => {
    it.each(forgeries)('refuses $name with a 403 that changes nothing', async ({ forge }) => {
      const s = await session();
      const other = await session();
      const before = await state(s.sid);
      expectRefused(await s.browser.request('POST', path, forge(s, other)));
      await expectUntouched(s, before);
    });

    it('refuses a pre-login CSRF token, even in header and cookie alike', async () => {
      const s = await session();
      const fresh = new BrowserAgent(t, ORIGIN);
      await fresh.fetchCsrf();
      const preLogin = fresh.csrf!;
      const before = await state(s.sid);
      expectRefused(await s.browser.request('POST', path, {
        csrf: preLogin,
        headers: { cookie: cookies([REFRESH_COOKIE, s.refreshToken], [CSRF_COOKIE, preLogin]) },
      }));
      await expectUntouched(s, before);
    });

    it('accepts the same request unforged (the control)', async () => {
      const s = await session();
      const result = await s.browser.request('POST', path);
      expect(result.status).toBe(path === '/auth/refresh' ? 200 : 204);
    });
  });

  describe('POST /auth/login', () => {
    let loginOnly: TestClient;
    beforeAll(async () => {
      loginOnly = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    });

    /** Families started and logins recorded for the client: a refused login neither starts one nor checks a password. */
    async function footprint() {
      const [families] = await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM families WHERE client_id = $1`, [loginOnly.id]);
      const [logins] = await t.db.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM audit_events WHERE client_id = $1 AND type IN ('login_succeeded', 'login_failed')`,
        [loginOnly.id],
      );
      return { families: families.n, logins: logins.n };
    }

    async function attempt(forge: (b: BrowserAgent, otherFamilyCsrf: string) => RequestOptions): Promise<BrowserResult> {
      const other = await session();
      const b = new BrowserAgent(t, ORIGIN);
      await b.fetchCsrf();
      const form = { username: user.username, password: user.password, client_id: loginOnly.id };
      return b.request('POST', '/auth/login', { form, ...forge(b, other.csrf) });
    }

    const loginForgeries: Array<{ name: string; forge: (b: BrowserAgent, otherFamilyCsrf: string) => RequestOptions }> = [
      { name: 'Sec-Fetch-Site: cross-site', forge: () => ({ headers: { 'sec-fetch-site': 'cross-site' } }) },
      { name: 'no Origin', forge: () => ({ headers: { origin: undefined } }) },
      { name: 'an unregistered Origin', forge: () => ({ headers: { origin: 'http://evil.example' } }) },
      { name: 'an Origin registered for another client only', forge: () => ({ headers: { origin: OTHER_ORIGIN } }) },
      { name: 'no X-CSRF-Token header', forge: () => ({ csrf: null }) },
      { name: 'an X-CSRF-Token other than the cookie', forge: () => ({ csrf: FORGED }) },
      { name: 'no CSRF cookie', forge: () => ({ headers: { cookie: undefined } }) },
      { name: 'a made-up token in header and cookie', forge: () => ({ csrf: FORGED, headers: { cookie: cookies([CSRF_COOKIE, FORGED]) } }) },
      {
        name: "the token of a family this browser does not hold",
        forge: (_b, otherCsrf) => ({ csrf: otherCsrf, headers: { cookie: cookies([CSRF_COOKIE, otherCsrf]) } }),
      },
    ];

    it.each(loginForgeries)('refuses $name before looking at the password', async ({ forge }) => {
      const before = await footprint();
      expectRefused(await attempt(forge));
      expect(await footprint()).toEqual(before);
    });

    it('accepts the same login unforged (the control)', async () => {
      const before = await footprint();
      const result = await attempt(() => ({}));
      expect(result.status).toBe(200);
      expect(await footprint()).toEqual({ families: before.families + 1, logins: before.logins + 1 });
    });
  });

  describe('GET /auth/csrf', () => {
    it('refuses cross-site requests and unregistered origins; a same-origin request without Origin is fine', async () => {
      const b = new BrowserAgent(t, ORIGIN);
      expectRefused(await b.request('GET', '/auth/csrf', { headers: { 'sec-fetch-site': 'cross-site' } }));
      expectRefused(await b.request('GET', '/auth/csrf', { headers: { origin: 'http://evil.example' } }));
      const sameOrigin = await b.request('GET', '/auth/csrf', { headers: { origin: undefined, 'sec-fetch-site': 'same-origin' } });
      expect(sameOrigin.status).toBe(204);
      expect(sameOrigin.headers.get('x-csrf-token')).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    });
  });
});
