import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, token } from '../factories/index.js';
import { isActive, jwtHeader } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('admin API: POST /admin/keys/rotate', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let app: TestClient;
  let resourceServer: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ ACCESS_TOKEN_TTL: '300' });
    app = await createClient(t);
    admin = await createAdmin(t, app);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await t.close();
  });

  const jwksKids = async () => ((await (await fetch(`${t.url}/oauth/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

  it('signs with the new key at once, keeps the old one published until its tokens expire, and audits it', async () => {
    const user = await createUser(t);
    const before = await login(t, app, user);
    const oldKid = jwtHeader(before.access_token).kid as string;

    const rotated = await api(t, 'POST', '/admin/keys/rotate', { token: admin.token });
    expect(rotated.status).toBe(200);
    const newKid = rotated.body.kid as string;
    expect(newKid).not.toBe(oldKid);

    const after = await login(t, app, user);
    expect(jwtHeader(after.access_token).kid).toBe(newKid);
    expect(await isActive(t, resourceServer, before.access_token)).toBe(true);
    expect(await isActive(t, resourceServer, after.access_token)).toBe(true);
    // The admin's own token, signed by the old key, still works.
    expect((await api(t, 'GET', '/admin/users?limit=1', { token: admin.token })).status).toBe(200);
    expect(await jwksKids()).toEqual(expect.arrayContaining([oldKid, newKid]));

    const [event] = await rows(t, `SELECT actor, details FROM audit_events WHERE type = 'key_rotated'`);
    expect(event).toEqual({ actor: `user:${admin.user.id}`, details: { kid: newKid, previous_kid: oldKid } });

    // ACCESS_TOKEN_TTL + 60 s of skew later, the old key has nothing left to verify.
    t.clock.advance(300 + 61);
    expect(await isActive(t, resourceServer, before.access_token)).toBe(false);
    const refreshed = await token(t, app, { grant_type: 'refresh_token', refresh_token: after.refresh_token });
    expect(jwtHeader(refreshed.body.access_token as string).kid).toBe(newKid);
    t.clock.advance(10);
    expect(await jwksKids()).toEqual([newKid]);
  });

  it('refuses a caller without the admin scope and rotates nothing', async () => {
    const user = await createUser(t);
    const { access_token } = await login(t, app, user);
    const keys = await rows(t, `SELECT kid FROM signing_keys`);
    expect((await api(t, 'POST', '/admin/keys/rotate', { token: access_token })).status).toBe(403);
    expect((await api(t, 'POST', '/admin/keys/rotate')).status).toBe(401);
    expect(await rows(t, `SELECT kid FROM signing_keys`)).toEqual(keys);
  });
});
