import { api, rows } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, token, type TestUser } from '../factories/index.js';
import { isActive, jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('self-service: /auth/sessions with a Bearer token', () => {
  let t: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    alice = await createUser(t);
    bob = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists only the caller\'s live sessions and marks the current one', async () => {
    const first = await login(t, app, alice);
    const second = await login(t, app, alice);
    await login(t, app, bob);
    const result = await api(t, 'GET', '/auth/sessions', { token: second.access_token });
    expect(result.status).toBe(200);
    expect(result.headers.get('cache-control')).toBe('no-store');
    const sessions = JSON.parse(result.text) as Array<{ id: string; current: boolean; client_id: string }>;
    expect(sessions.map((s) => s.id).sort()).toEqual([jwtClaims(first.access_token).sid, jwtClaims(second.access_token).sid].sort());
    expect(sessions.find((s) => s.current)?.id).toBe(jwtClaims(second.access_token).sid);
  });

  it('revokes one of the caller\'s sessions and leaves the others alive', async () => {
    const kept = await login(t, app, alice);
    const doomed = await login(t, app, alice);
    const result = await api(t, 'DELETE', `/auth/sessions/${jwtClaims(doomed.access_token).sid as string}`, { token: kept.access_token });
    expect(result.status).toBe(204);
    expect(await isActive(t, resourceServer, doomed.access_token)).toBe(false);
    expect((await token(t, app, { grant_type: 'refresh_token', refresh_token: doomed.refresh_token })).body.error).toBe('invalid_grant');
    expect(await isActive(t, resourceServer, kept.access_token)).toBe(true);
    const [family] = await rows(t, `SELECT revoked_reason, revoked_by FROM families WHERE id = $1`, [jwtClaims(doomed.access_token).sid]);
    expect(family).toEqual({ revoked_reason: 'logout', revoked_by: `user:${alice.user.id}` });
  });

  it('cannot see or revoke another user\'s session, and the answer is the same as for a session that does not exist', async () => {
    const victim = await login(t, app, bob);
    const attacker = await login(t, app, alice);
    const foreign = await api(t, 'DELETE', `/auth/sessions/${jwtClaims(victim.access_token).sid as string}`, { token: attacker.access_token });
    const missing = await api(t, 'DELETE', '/auth/sessions/00000000-0000-4000-8000-000000000000', { token: attacker.access_token });
    const garbage = await api(t, 'DELETE', '/auth/sessions/nope', { token: attacker.access_token });
    expect(foreign.status).toBe(404);
    expect(foreign.text).toBe(missing.text);
    expect(garbage.text).toBe(missing.text);
    expect(foreign.headers.get('content-type')).toBe(missing.headers.get('content-type'));
    expect(await isActive(t, resourceServer, victim.access_token)).toBe(true);
    const listed = await api(t, 'GET', '/auth/sessions', { token: attacker.access_token });
    expect(listed.text).not.toContain(jwtClaims(victim.access_token).sid as string);
  });

  it('"log out everywhere" ends every session of the caller, the current one included, and no one else\'s', async () => {
    const carol = await createUser(t);
    const sessions = [await login(t, app, carol), await login(t, app, carol)];
    const bystander = await login(t, app, bob);
    const result = await api(t, 'DELETE', '/auth/sessions', { token: sessions[0].access_token });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ revoked: 2 });
    for (const s of sessions) expect(await isActive(t, resourceServer, s.access_token)).toBe(false);
    expect(await isActive(t, resourceServer, bystander.access_token)).toBe(true);
    // The token of a revoked session no longer authenticates.
    expect((await api(t, 'GET', '/auth/sessions', { token: sessions[1].access_token })).status).toBe(401);
  });

  it('answers 401 with a Bearer challenge without a valid user token', async () => {
    const none = await api(t, 'GET', '/auth/sessions');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tessera"');
    const basic = await api(t, 'GET', '/auth/sessions', { headers: { authorization: app.basic } });
    expect(basic.status).toBe(401);
    const malformed = await api(t, 'GET', '/auth/sessions', { headers: { authorization: 'Bearer a b' } });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="invalid_request"');
    const machine = await token(t, app, { grant_type: 'client_credentials', scope: 'read' });
    const asMachine = await api(t, 'GET', '/auth/sessions', { token: machine.body.access_token as string });
    expect(asMachine.status).toBe(401);
    expect(asMachine.body.error).toBe('invalid_token');
  });
});

describe('session details behind a proxy (TRUST_PROXY)', () => {
  const forwarded = { 'x-forwarded-for': '203.0.113.7', 'user-agent': 'tessera-test/1.0' };

  async function loginIp(env: Record<string, string>): Promise<{ ip: string; user_agent: string }> {
    const t = await startTestApp(env);
    try {
      const app = await createClient(t);
      const user = await createUser(t);
      const fetched = await fetch(`${t.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: app.basic, ...forwarded },
        body: new URLSearchParams({ grant_type: 'password', username: user.username, password: user.password }).toString(),
      });
      const { access_token: accessToken } = (await fetched.json()) as { access_token: string };
      const [family] = await rows<{ ip: string; user_agent: string }>(t, `SELECT ip, user_agent FROM families WHERE id = $1`, [jwtClaims(accessToken).sid]);
      return family;
    } finally {
      await t.close();
    }
  }

  it('records the socket address and ignores X-Forwarded-For by default', async () => {
    expect(await loginIp({})).toEqual({ ip: '127.0.0.1', user_agent: 'tessera-test/1.0' });
  });

  it('records the forwarded address when TRUST_PROXY says so', async () => {
    expect(await loginIp({ TRUST_PROXY: '1' })).toEqual({ ip: '203.0.113.7', user_agent: 'tessera-test/1.0' });
    expect(await loginIp({ TRUST_PROXY: 'true' })).toEqual({ ip: '203.0.113.7', user_agent: 'tessera-test/1.0' });
  });
});
