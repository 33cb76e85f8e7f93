import { KeysService } from '../../src/oauth/keys/keys.service.js';
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
    t = await startTestApp({ ACCESS_TOKEN_TTL: '300', KEY_PUBLISH_DELAY: '60' });
    app = await createClient(t);
    admin = await createAdmin(t, app);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await t.close();
  });

  const jwksKids = async () => ((await (await fetch(`${t.url}/oauth/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
  const auditedKeys = async () =>
    rows<{ type: string; kid: string }>(t, `SELECT type, details->>'kid' AS kid FROM audit_events WHERE type LIKE 'key_%' ORDER BY id`);

  it('publishes the new key at once, signs with it only after KEY_PUBLISH_DELAY, retires the old one once its tokens expired, and audits each step', async () => {
    const user = await createUser(t);
    const before = await login(t, app, user);
    const oldKid = jwtHeader(before.access_token).kid as string;

    const rotated = await api(t, 'POST', '/admin/keys/rotate', { token: admin.token });
    expect(rotated.status).toBe(200);
    const newKid = rotated.body.kid as string;
    expect(newKid).not.toBe(oldKid);
    expect(rotated.body.activates_at).toBe(new Date(t.clock.now() + 60_000).toISOString());
    expect(await jwksKids()).toEqual(expect.arrayContaining([oldKid, newKid]));

    // Pending: the old key still signs, up to the last second of the delay.
    t.clock.advance(59);
    const pending = await login(t, app, user);
    expect(jwtHeader(pending.access_token).kid).toBe(oldKid);
    // Refused while a key is pending, and nothing changes.
    const again = await api(t, 'POST', '/admin/keys/rotate', { token: admin.token });
    expect(again.status).toBe(409);
    expect(again.body.error_description).toContain(newKid);

    // The switch happens on the clock, without waiting for a reload.
    t.clock.advance(1);
    const after = await login(t, app, user);
    expect(jwtHeader(after.access_token).kid).toBe(newKid);
    expect(await isActive(t, resourceServer, before.access_token)).toBe(true);
    expect(await isActive(t, resourceServer, pending.access_token)).toBe(true);
    expect(await isActive(t, resourceServer, after.access_token)).toBe(true);
    // The admin's own token, signed by the old key, still works.
    expect((await api(t, 'GET', '/admin/users?limit=1', { token: admin.token })).status).toBe(200);

    // The first key, made when the app first booted (the FakeClock's start), is in the log
    // too: the system's, with no predecessor.
    expect(await rows(t, `SELECT actor, details FROM audit_events WHERE type = 'key_rotated' ORDER BY id`)).toEqual([
      { actor: 'system', details: { kid: oldKid, alg: 'ES256', activates_at: '2026-01-01T00:00:00.000Z' } },
      { actor: `user:${admin.user.id}`, details: { kid: newKid, previous_kid: oldKid, alg: 'ES256', activates_at: rotated.body.activates_at } },
    ]);
    await t.app.get(KeysService).reload();
    expect(await auditedKeys()).toEqual([
      { type: 'key_rotated', kid: oldKid },
      { type: 'key_rotated', kid: newKid },
      { type: 'key_activated', kid: newKid },
    ]);

    // The last token of the old key (issued just before activation) expires 300 s after it;
    // its key stays published 60 s of skew beyond that.
    t.clock.advance(300 + 59);
    expect(await jwksKids()).toEqual(expect.arrayContaining([oldKid, newKid]));
    t.clock.advance(2);
    expect(await isActive(t, resourceServer, pending.access_token)).toBe(false);
    const refreshed = await token(t, app, { grant_type: 'refresh_token', refresh_token: after.refresh_token });
    expect(jwtHeader(refreshed.body.access_token as string).kid).toBe(newKid);
    t.clock.advance(10);
    expect(await jwksKids()).toEqual([newKid]);
    await t.app.get(KeysService).reload();
    expect((await auditedKeys()).slice(-1)).toEqual([{ type: 'key_retired', kid: oldKid }]);
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
