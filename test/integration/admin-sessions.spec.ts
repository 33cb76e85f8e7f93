import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, token, type TestUser } from '../factories/index.js';
import { isActive, jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('admin API: sessions', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let app: TestClient;
  let opaqueApp: TestClient;
  let resourceServer: TestClient;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createAdmin(t);
    app = await createClient(t);
    opaqueApp = await createClient(t, { accessTokenFormat: 'opaque' });
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await t.close();
  });

  const refresh = (client: TestClient, refreshToken: string) => token(t, client, { grant_type: 'refresh_token', refresh_token: refreshToken });

  it('revoking all of a user\'s sessions fails every refresh token and makes every access token inactive at once', async () => {
    const user = await createUser(t);
    const sessions = [await login(t, app, user), await login(t, app, user), await login(t, opaqueApp, user)];
    for (const s of sessions) expect(await isActive(t, resourceServer, s.access_token)).toBe(true);

    const result = await api(t, 'DELETE', `/admin/users/${user.user.id}/sessions`, { token: admin.token });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ revoked: 3 });
    expect(result.headers.get('cache-control')).toBe('no-store');

    for (const s of sessions) {
      expect(await isActive(t, resourceServer, s.access_token)).toBe(false);
      expect(await isActive(t, resourceServer, s.refresh_token)).toBe(false);
    }
    expect((await refresh(app, sessions[0].refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(app, sessions[1].refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(opaqueApp, sessions[2].refresh_token)).body.error).toBe('invalid_grant');

    const families = await rows<{ revoked_reason: string; revoked_by: string }>(
      t, `SELECT revoked_reason, revoked_by FROM families WHERE user_id = $1`, [user.user.id]);
    expect(families).toHaveLength(3);
    for (const family of families) expect(family).toEqual({ revoked_reason: 'admin', revoked_by: `user:${admin.user.id}` });
    const events = await rows(t, `SELECT actor, reason FROM audit_events WHERE type = 'session_revoked' AND user_id = $1`, [user.user.id]);
    expect(events).toHaveLength(3);
    for (const event of events) expect(event).toEqual({ actor: `user:${admin.user.id}`, reason: 'admin' });

    const again = await api(t, 'DELETE', `/admin/users/${user.user.id}/sessions`, { token: admin.token });
    expect(again.body).toEqual({ revoked: 0 });
  });

  it('revoking one session leaves the user\'s other sessions alive', async () => {
    const user = await createUser(t);
    const doomed = await login(t, app, user);
    const kept = await login(t, app, user);
    const sid = jwtClaims(doomed.access_token).sid as string;

    const result = await api(t, 'DELETE', `/admin/sessions/${sid}`, { token: admin.token });
    expect(result.status).toBe(204);
    expect(result.text).toBe('');

    expect(await isActive(t, resourceServer, doomed.access_token)).toBe(false);
    expect((await refresh(app, doomed.refresh_token)).body.error).toBe('invalid_grant');
    expect(await isActive(t, resourceServer, kept.access_token)).toBe(true);
    expect((await refresh(app, kept.refresh_token)).status).toBe(200);
  });

  it('lists a user\'s sessions with client, times, ip, user agent and revocation, newest first', async () => {
    const user = await createUser(t);
    const first = await login(t, app, user);
    t.clock.advance(10);
    await login(t, app, user);
    await api(t, 'DELETE', `/admin/sessions/${jwtClaims(first.access_token).sid as string}`, { token: admin.token });

    const result = await api(t, 'GET', `/admin/users/${user.user.id}/sessions`, { token: admin.token });
    expect(result.status).toBe(200);
    const list = JSON.parse(result.text) as Array<Record<string, unknown>>;
    expect(list).toHaveLength(2);
    expect(Object.keys(list[0]).sort()).toEqual(
      ['absolute_expires_at', 'client_id', 'created_at', 'id', 'idle_expires_at', 'ip', 'last_used_at', 'revoked_at', 'revoked_reason', 'user_agent'],
    );
    expect(list[0]).toMatchObject({ client_id: app.id, revoked_at: null, revoked_reason: null, ip: '127.0.0.1', user_agent: 'node' });
    expect(list[1]).toMatchObject({ id: jwtClaims(first.access_token).sid, revoked_reason: 'admin' });
    expect(Date.parse(list[0].created_at as string)).toBeGreaterThan(Date.parse(list[1].created_at as string));

    const paged = await api(t, 'GET', `/admin/users/${user.user.id}/sessions?limit=1`, { token: admin.token });
    expect(JSON.parse(paged.text)).toHaveLength(1);
    const next = /<([^>]+)>; rel="next"/.exec(paged.headers.get('link') ?? '')?.[1];
    expect(next).toBeDefined();
    const second = await api(t, 'GET', next!, { token: admin.token });
    expect((JSON.parse(second.text) as Array<{ id: string }>).map((s) => s.id)).toEqual([list[1].id]);
    expect(second.headers.get('link')).toBeNull();
  });

  it('answers 404 for an unknown user or session, and 400 for a malformed cursor, changing nothing', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/admin/users/${unknown}/sessions`],
      ['DELETE', `/admin/users/${unknown}/sessions`],
      ['DELETE', `/admin/sessions/${unknown}`],
      ['DELETE', '/admin/sessions/not-a-uuid'],
      ['GET', '/admin/users/not-a-uuid'],
    ]) {
      const result = await api(t, method, path, { token: admin.token });
      expect([path, result.status, result.body.error]).toEqual([path, 404, 'not_found']);
    }
    const bad = await api(t, 'GET', `/admin/users/${admin.user.id}/sessions?cursor=xyz&limit=0&extra=1`, { token: admin.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
    expect(bad.body.error_description).toMatch(/extra: unknown field/);
    expect(bad.body.error_description).toMatch(/cursor: /);
    expect(bad.body.error_description).toMatch(/limit: /);
  });

  it('admin endpoints refuse missing, invalid and non-admin tokens', async () => {
    const user: TestUser = await createUser(t);
    const victim = await login(t, app, user);
    const path = `/admin/users/${user.user.id}/sessions`;

    const none = await api(t, 'DELETE', path);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tessera"');

    const forged = await api(t, 'DELETE', path, { token: `${victim.access_token.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toBe('invalid_token');
    expect(forged.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="invalid_token"');

    const refreshAsBearer = await api(t, 'DELETE', path, { token: victim.refresh_token });
    expect(refreshAsBearer.status).toBe(401);

    const plain = await api(t, 'DELETE', path, { token: victim.access_token });
    expect(plain.status).toBe(403);
    expect(plain.body.error).toBe('insufficient_scope');
    expect(plain.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="insufficient_scope", scope="admin"');

    // A non-admin cannot get the admin scope at all.
    expect((await token(t, app, { grant_type: 'password', username: user.username, password: user.password, scope: 'admin' })).body.error).toBe(
      'invalid_scope',
    );
    // Nor can a client for itself: admin is a user's scope only.
    expect((await token(t, app, { grant_type: 'client_credentials', scope: 'admin' })).body.error).toBe('invalid_scope');
    const machine = await token(t, app, { grant_type: 'client_credentials', scope: 'read' });
    const asMachine = await api(t, 'DELETE', path, { token: machine.body.access_token as string });
    expect(asMachine.status).toBe(403);
    expect(asMachine.body.error).toBe('insufficient_scope');
    expect(await isActive(t, resourceServer, victim.access_token)).toBe(true);
  });

  it('refuses an admin token at once after the role is removed, the user is disabled or the session revoked', async () => {
    const other = await createAdmin(t, app);
    expect((await api(t, 'GET', '/admin/users', { token: other.token })).status).toBe(200);
    const demoted = await api(t, 'PATCH', `/admin/users/${other.user.id}`, { token: admin.token, body: { admin: false } });
    expect(demoted.status).toBe(200);
    expect(demoted.body.roles).toEqual([]);
    expect((await api(t, 'GET', '/admin/users', { token: other.token })).status).toBe(403);

    const third = await createAdmin(t, app);
    expect((await api(t, 'DELETE', `/admin/sessions/${jwtClaims(third.token).sid as string}`, { token: admin.token })).status).toBe(204);
    expect((await api(t, 'GET', '/admin/users', { token: third.token })).status).toBe(401);
  });
});
