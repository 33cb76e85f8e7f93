import { SessionRevoker } from '../../src/sessions/session-revoker.service.js';
import { BrowserAgent, cookie, CSRF_COOKIE, REFRESH_COOKIE } from '../factories/browser.js';
import { createClient, createUser, token, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const GRACE = 10;
const IDLE = 3_600;
const ABSOLUTE = 5_000;
const ORIGIN = 'http://app.example.test:8080';

/**
 * POST /auth/refresh and /auth/logout of CONTRACT "Browser sessions" over HTTP: the
 * token core's rotation, grace and reuse rules applied to the cookie, its Max-Age, and
 * the end of a session.
 */
describe('browser sessions', () => {
  let t: TestApp;
  let spa: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: String(GRACE), REFRESH_IDLE_TTL: String(IDLE), REFRESH_ABSOLUTE_TTL: String(ABSOLUTE) });
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read', 'write', 'admin'], origins: [ORIGIN] });
    user = await createUser(t);
  });
  afterAll(async () => { await t.close(); });

  const browser = () => new BrowserAgent(t, ORIGIN);

  async function family(sid: string) {
    const [row] = await t.db.dataSource.query<Array<{ revoked_at: Date | null; revoked_reason: string | null; revoked_by: string | null; client_id: string }>>(`SELECT * FROM families WHERE id = $1`, [sid]);
    return row;
  }

  async function generations(sid: string): Promise<number[]> {
    const rows = await t.db.dataSource.query<Array<{ generation: number }>>(`SELECT generation FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`, [sid]);
    return rows.map((row) => row.generation);
  }

  describe('POST /auth/refresh', () => {
    it('rotates the cookie: a new refresh token in the same family, the same CSRF token, no token in the body', async () => {
      const b = browser();
      const login = await b.login(spa, user);
      const first = b.refreshToken!;
      const csrf = b.csrf;
      const result = await b.refresh();
      expect(result.status).toBe(200);
      expect(Object.keys(result.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
      expect(result.headers.get('cache-control')).toBe('no-store');
      const successor = cookie(result, REFRESH_COOKIE).value;
      expect(successor).not.toBe(first);
      expect(result.text).not.toContain(successor);
      expect(result.text).not.toContain(first);
      expect(cookie(result, CSRF_COOKIE).value).toBe(csrf);
      expect(result.headers.get('x-csrf-token')).toBe(csrf);
      const sid = String(jwtClaims(String(login.body.access_token)).sid);
      expect(jwtClaims(String(result.body.access_token)).sid).toBe(sid);
      expect(await generations(sid)).toEqual([0, 1]);
    });

    it('sets Max-Age to the family\'s remaining life: the idle window, capped by the absolute expiry', async () => {
      const b = browser();
      await b.login(spa, user);
      t.clock.advance(100);
      let result = await b.refresh();
      expect(cookie(result, REFRESH_COOKIE).attributes.get('max-age')).toBe(String(IDLE));
      t.clock.advance(IDLE - 1);
      result = await b.refresh();
      const remaining = ABSOLUTE - 100 - (IDLE - 1);
      expect(remaining).toBeLessThan(IDLE);
      expect(cookie(result, REFRESH_COOKIE).attributes.get('max-age')).toBe(String(remaining));
      expect(cookie(result, CSRF_COOKIE).attributes.get('max-age')).toBe(String(remaining));
      t.clock.advance(remaining);
      const expired = await b.refresh();
      expect(expired.status).toBe(400);
      expect(expired.body.error).toBe('invalid_grant');
      // The family is over: the browser is told to forget both cookies.
      expect(cookie(expired, REFRESH_COOKIE).attributes.get('max-age')).toBe('0');
      expect(cookie(expired, CSRF_COOKIE).attributes.get('max-age')).toBe('0');
      // Only the device cookie stays: the browser is still one where this user logged in.
      expect([...b.jar.keys()]).toEqual(['__Host-tessera-device']);
    });

    it('two tabs refreshing at the same moment both stay logged in: one successor, the family lives', async () => {
      const tabA = browser();
      const login = await tabA.login(spa, user);
      const sid = String(jwtClaims(String(login.body.access_token)).sid);
      const tabB = tabA.tab();
      // Both requests carry the same cookie: neither answer has arrived yet.
      const [a, b] = await Promise.all([tabA.refresh(), tabB.refresh()]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(cookie(a, REFRESH_COOKIE).value).toBe(cookie(b, REFRESH_COOKIE).value);
      expect(await generations(sid)).toEqual([0, 1]);
      expect((await family(sid)).revoked_at).toBeNull();
      expect((await tabB.refresh()).status).toBe(200);
      expect((await tabA.refresh()).status).toBe(200);
    });

    it('a replayed cookie after the grace window is reuse: the family is revoked and the cookies cleared', async () => {
      const b = browser();
      const login = await b.login(spa, user);
      const sid = String(jwtClaims(String(login.body.access_token)).sid);
      const stolen = b.refreshToken!;
      expect((await b.refresh()).status).toBe(200);
      t.clock.advance(GRACE);
      const thief = browser();
      thief.jar.set(REFRESH_COOKIE, stolen);
      thief.jar.set(CSRF_COOKIE, b.csrf!);
      thief.csrf = b.csrf;
      const replay = await thief.refresh();
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      expect(cookie(replay, REFRESH_COOKIE).attributes.get('max-age')).toBe('0');
      expect(await family(sid)).toMatchObject({ revoked_reason: 'refresh_token_reuse' });
      expect((await b.refresh()).status).toBe(400);
    });

    it('once the family is revoked elsewhere, the page is told so (400) with a fresh pre-login token, not a 403', async () => {
      const b = browser();
      const login = await b.login(spa, user);
      const sid = String(jwtClaims(String(login.body.access_token)).sid);
      const sessionToken = b.csrf;
      await t.app.get(SessionRevoker).revoke([sid], 'admin', 'test');
      // What a reloaded page does: ask for a CSRF token, then try to resume.
      const csrf = await b.fetchCsrf();
      expect(csrf.headers.get('x-csrf-token')).not.toBe(sessionToken);
      expect(cookie(csrf, CSRF_COOKIE).attributes.has('max-age')).toBe(false);
      const result = await b.refresh();
      expect(result.status).toBe(400);
      expect(result.body.error).toBe('invalid_grant');
      expect(cookie(result, REFRESH_COOKIE).attributes.get('max-age')).toBe('0');
      expect(b.refreshToken).toBeUndefined();
      expect(await family(sid)).toMatchObject({ revoked_reason: 'admin' });
    });

    it('without a session cookie, or with an unknown one: invalid_grant, and the cookies are cleared', async () => {
      const b = browser();
      await b.fetchCsrf();
      const none = await b.refresh();
      expect(none.status).toBe(400);
      expect(none.body.error).toBe('invalid_grant');
      b.jar.set(REFRESH_COOKIE, 'A'.repeat(43));
      const unknown = await b.refresh();
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toBe('invalid_grant');
      expect(cookie(unknown, REFRESH_COOKIE).attributes.get('max-age')).toBe('0');
      expect(b.refreshToken).toBeUndefined();
    });
  });

  describe('POST /auth/logout', () => {
    it('revokes the family and clears both cookies with the attributes they were set with', async () => {
      const b = browser();
      const login = await b.login(spa, user);
      const sid = String(jwtClaims(String(login.body.access_token)).sid);
      const refreshToken = b.refreshToken!;
      const result = await b.logout();
      expect(result.status).toBe(204);
      expect(result.text).toBe('');
      expect(cookie(result, REFRESH_COOKIE).raw).toBe(`${REFRESH_COOKIE}=; Path=/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict`);
      expect(cookie(result, CSRF_COOKIE).raw).toBe(`${CSRF_COOKIE}=; Path=/; Max-Age=0; Secure; SameSite=Strict`);
      expect(await family(sid)).toMatchObject({ revoked_reason: 'logout', revoked_by: `user:${user.user.id}` });
      const event = await t.db.dataSource.query(`SELECT actor, reason FROM audit_events WHERE type = 'session_revoked' AND family_id = $1`, [sid]);
      expect(event).toEqual([{ actor: `user:${user.user.id}`, reason: 'logout' }]);
      // The token is dead wherever it is presented.
      expect((await token(t, spa, { grant_type: 'refresh_token', refresh_token: refreshToken })).status).toBe(400);
      expect((await b.refresh()).status).toBe(400);
    });

    it('a second tab is logged out with the first', async () => {
      const tabA = browser();
      await tabA.login(spa, user);
      const tabB = tabA.tab();
      expect((await tabA.logout()).status).toBe(204);
      const refused = await tabB.refresh();
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
    });

    it('without a session it still answers 204', async () => {
      const b = browser();
      await b.fetchCsrf();
      expect((await b.logout()).status).toBe(204);
    });
  });

});
