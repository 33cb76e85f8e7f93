import { BrowserAgent, cookie, CSRF_COOKIE, REFRESH_COOKIE } from '../factories/browser.js';
import { createClient, createUser, token, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const IDLE = 3_600;
const ORIGIN = 'http://app.example.test:8080';

/**
 * POST /auth/login and GET /auth/csrf of CONTRACT "Browser sessions" over HTTP, as a
 * browser on a registered origin calls them: the exact cookies, the body without the
 * refresh token, and the same login rules as the password grant.
 */
describe('browser sessions: login', () => {
  let t: TestApp;
  let spa: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_IDLE_TTL: String(IDLE) });
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read', 'write', 'admin'], origins: [ORIGIN] });
    user = await createUser(t);
  });
  afterAll(async () => { await t.close(); });

  const browser = () => new BrowserAgent(t, ORIGIN);

  async function family(sid: string) {
    const [row] = await t.db.dataSource.query<Array<{ revoked_at: Date | null; revoked_reason: string | null; revoked_by: string | null; client_id: string }>>(`SELECT * FROM families WHERE id = $1`, [sid]);
    return row;
  }

  describe('POST /auth/login', () => {
    it('sets the refresh token in a __Secure-, HttpOnly, Secure, SameSite=Strict cookie on /auth, and returns the access token only', async () => {
      const b = browser();
      const result = await b.login(spa, user);
      expect(Object.keys(result.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
      expect(result.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'read write' });
      expect(result.headers.get('cache-control')).toBe('no-store');
      expect(result.headers.get('pragma')).toBe('no-cache');

      const refresh = cookie(result, REFRESH_COOKIE);
      expect(refresh.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(refresh.raw).toBe(`${REFRESH_COOKIE}=${refresh.value}; Path=/auth; Max-Age=${IDLE}; HttpOnly; Secure; SameSite=Strict`);
      expect(refresh.attributes.has('domain')).toBe(false);
      // The token in the cookie is never in a body or a readable header.
      expect(result.text).not.toContain(refresh.value);
      for (const [, value] of result.headers) if (!value.startsWith(`${REFRESH_COOKIE}=`)) expect(value).not.toContain(refresh.value);

      const csrf = cookie(result, CSRF_COOKIE);
      expect(csrf.raw).toBe(`${CSRF_COOKIE}=${csrf.value}; Path=/; Max-Age=${IDLE}; Secure; SameSite=Strict`);
      expect(result.headers.get('x-csrf-token')).toBe(csrf.value);

      // The cookie's token is the first of the access token's family.
      const sid = String(jwtClaims(String(result.body.access_token)).sid);
      expect((await family(sid)).client_id).toBe(spa.id);
      const viaTokenEndpoint = await token(t, spa, { grant_type: 'refresh_token', refresh_token: refresh.value });
      expect(viaTokenEndpoint.status).toBe(200);
      expect(jwtClaims(String(viaTokenEndpoint.body.access_token)).sid).toBe(sid);
    });

    it('takes a JSON body as well as a form, and an optional narrower scope', async () => {
      const b = browser();
      await b.fetchCsrf();
      const result = await b.request('POST', '/auth/login', {
        json: { username: user.username, password: user.password, client_id: spa.id, scope: 'read' },
      });
      expect(result.status).toBe(200);
      expect(result.body.scope).toBe('read');
      expect(b.refreshToken).toBeDefined();
    });

    it('grants the admin scope only to admins who ask for it, as the password grant does', async () => {
      const admin = await createUser(t, { admin: true });
      expect((await browser().login(spa, admin)).body.scope).toBe('read write');
      expect((await browser().login(spa, admin, { scope: 'admin' })).body.scope).toBe('admin');
      const b = browser();
      await b.fetchCsrf();
      const refused = await b.request('POST', '/auth/login', { form: { username: user.username, password: user.password, client_id: spa.id, scope: 'admin' } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_scope');
    });

    it('answers a wrong password with invalid_grant, sets no session cookie and records the failure', async () => {
      const b = browser();
      await b.fetchCsrf();
      const before = await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'login_failed' AND client_id = $1`, [spa.id]);
      const result = await b.request('POST', '/auth/login', { form: { username: user.username, password: 'not the password', client_id: spa.id } });
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'invalid_grant', error_description: 'invalid username or password' });
      expect(result.setCookies).toEqual([]);
      const unknownUser = await b.request('POST', '/auth/login', { form: { username: 'nobody-at-all', password: 'whatever1', client_id: spa.id } });
      expect(unknownUser.body).toEqual(result.body);
      const after = await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'login_failed' AND client_id = $1`, [spa.id]);
      expect(after[0].n - before[0].n).toBe(2);
    });

    it('is only for browser clients: public, with origins, registered for password and refresh_token', async () => {
      const confidential = await createClient(t, { type: 'confidential', grantTypes: ['password', 'refresh_token'], origins: [ORIGIN] });
      const noOrigins = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'] });
      const noRefresh = await createClient(t, { type: 'public', grantTypes: ['password'], origins: [ORIGIN] });
      const b = browser();
      await b.fetchCsrf();
      const attempt = (clientId: string) =>
        b.request('POST', '/auth/login', { form: { username: user.username, password: user.password, client_id: clientId } });
      for (const client of [confidential, noOrigins, noRefresh]) {
        const result = await attempt(client.id);
        expect(result.status).toBe(400);
        expect(result.body.error).toBe('unauthorized_client');
      }
      const unknown = await attempt('no-such-client');
      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toBe('invalid_client');
      expect(b.refreshToken).toBeUndefined();
    });

    it('answers a malformed request with 400 invalid_request, never a 500', async () => {
      const b = browser();
      await b.fetchCsrf();
      const cases: Array<Parameters<BrowserAgent['request']>[2]> = [
        { form: { password: user.password, client_id: spa.id } },
        { form: { username: user.username, client_id: spa.id } },
        { form: { username: user.username, password: user.password } },
        { json: { username: user.username, password: 42, client_id: spa.id } },
        { json: [user.username, user.password, spa.id] },
        { json: { username: { $ne: '' }, password: user.password, client_id: spa.id } },
        { form: { username: user.username, password: 'x'.repeat(1025), client_id: spa.id } },
        { headers: { 'content-type': 'text/plain' } },
      ];
      for (const options of cases) {
        const result = await b.request('POST', '/auth/login', options);
        expect({ status: result.status, error: result.body.error }).toEqual({ status: 400, error: 'invalid_request' });
      }
      const brokenJson = await b.request('POST', '/auth/login', { headers: { 'content-type': 'application/json' }, form: { a: 'b' } });
      expect(brokenJson.status).toBe(400);
      expect(b.refreshToken).toBeUndefined();
    });

    it('logging in again in the same browser ends the session it replaces', async () => {
      const b = browser();
      const first = await b.login(spa, user);
      const firstSid = String(jwtClaims(String(first.body.access_token)).sid);
      // The page holds the first session's CSRF token: it is accepted for the new login too.
      const second = await b.request('POST', '/auth/login', { form: { username: user.username, password: user.password, client_id: spa.id } });
      expect(second.status).toBe(200);
      const secondSid = String(jwtClaims(String(second.body.access_token)).sid);
      expect(secondSid).not.toBe(firstSid);
      expect(await family(firstSid)).toMatchObject({ revoked_reason: 'logout', revoked_by: `user:${user.user.id}` });
      expect((await family(secondSid)).revoked_at).toBeNull();
      expect((await b.refresh()).status).toBe(200);
    });
  });

  describe('GET /auth/csrf', () => {
    it('gives a pre-login token, keeps it while valid, and gives the session\'s token once logged in', async () => {
      const b = browser();
      const first = await b.fetchCsrf();
      expect(first.status).toBe(204);
      const preLogin = cookie(first, CSRF_COOKIE);
      expect(preLogin.raw).toBe(`${CSRF_COOKIE}=${preLogin.value}; Path=/; Secure; SameSite=Strict`);
      expect(first.headers.get('x-csrf-token')).toBe(preLogin.value);
      // A second tab asking again gets the same token, so the two tabs agree.
      expect((await b.tab().fetchCsrf()).headers.get('x-csrf-token')).toBe(preLogin.value);
      await b.request('POST', '/auth/login', { form: { username: user.username, password: user.password, client_id: spa.id } });
      const sessionToken = b.csrf;
      expect(sessionToken).not.toBe(preLogin.value);
      const again = await b.tab().fetchCsrf();
      expect(again.headers.get('x-csrf-token')).toBe(sessionToken);
      expect(cookie(again, CSRF_COOKIE).attributes.get('max-age')).toBe(String(IDLE));
      expect((await b.refresh()).status).toBe(200);
    });
  });
});
