import { createHmac, hkdfSync } from 'node:crypto';
import { UsersService } from '../../src/users/users.service.js';
import { createClient, createUser, login, type TestClient, token, type TestUser } from '../factories/index.js';
import { metricValue, scrape } from '../factories/metrics.js';
import { INACTIVE_BODY, introspect, isActive, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp, TEST_SECRETS } from '../setup/app.js';

/** HMAC-SHA-256 under the HKDF-derived opaque-token key: what the database may hold. */
function keyedHash(value: string): Buffer {
  const key = Buffer.from(hkdfSync('sha256', TEST_SECRETS.TOKEN_HASH_SECRET, Buffer.alloc(0), 'tessera:opaque-access-token', 32));
  return createHmac('sha256', key).update(value).digest();
}

describe('opaque access tokens (CONTRACT "Access tokens")', () => {
  let t: TestApp;
  let app: TestClient;
  let jwtApp: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t, { accessTokenFormat: 'opaque' });
    jwtApp = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('are 256-bit random strings, stored only as a keyed hash with their claims', async () => {
    const session = await login(t, app, user, 'read');
    expect(session.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(session.access_token, 'base64url')).toHaveLength(32);
    const rows = await t.db.dataSource.query<Array<Record<string, unknown>>>(`SELECT * FROM opaque_access_tokens WHERE client_id = $1`, [app.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).toEqual(keyedHash(session.access_token));
    expect(rows[0]).toMatchObject({ subject: user.user.id, user_id: user.user.id, scope: 'read', audience: 'http://tessera.test', revoked_at: null });
    expect(JSON.stringify(rows)).not.toContain(session.access_token);
  });

  it('are described by introspection like a JWT', async () => {
    const session = await login(t, app, user, 'read write');
    const result = await introspect(t, resourceServer, session.access_token);
    const now = Math.floor(t.clock.now() / 1000);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      active: true,
      token_type: 'Bearer',
      scope: 'read write',
      client_id: app.id,
      username: user.username,
      sub: user.user.id,
      aud: 'http://tessera.test',
      iss: 'http://tessera.test',
      exp: now + 300,
      iat: now,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      sid: expect.any(String),
    });
  });

  it('are issued for client_credentials too, without a user', async () => {
    const issued = await token(t, app, { grant_type: 'client_credentials', scope: 'read' });
    const result = await introspect(t, resourceServer, issued.body.access_token as string);
    expect(result.body).toMatchObject({ active: true, client_id: app.id, sub: app.id });
    expect(result.body).not.toHaveProperty('username');
    expect(result.body).not.toHaveProperty('sid');
  });

  it('are also issued on refresh, and the rotated family keeps them alive', async () => {
    const first = await login(t, app, user);
    const refreshed = await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await isActive(t, resourceServer, first.access_token)).toBe(true);
    expect(await isActive(t, resourceServer, refreshed.body.access_token as string)).toBe(true);
  });

  it('die the moment they are revoked, and only they', async () => {
    const session = await login(t, app, user);
    const sibling = (await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token })).body;
    const result = await revoke(t, app, session.access_token);
    expect(result.status).toBe(200);
    expect(result.text).toBe('{}');
    expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
    expect(await isActive(t, resourceServer, sibling.access_token as string)).toBe(true);
    const [row] = await t.db.dataSource.query<Array<{ revoked: boolean; remembered: boolean }>>(
      `SELECT o.revoked_at IS NOT NULL AS revoked, r.jti IS NOT NULL AS remembered
       FROM opaque_access_tokens o LEFT JOIN revoked_access_tokens r ON r.jti = o.jti WHERE o.hash = $1`,
      [keyedHash(session.access_token)],
    );
    expect(row).toEqual({ revoked: true, remembered: true });
    expect((await revoke(t, app, session.access_token)).status).toBe(200);
  });

  it('die with their family, with their user, and at exp', async () => {
    const a = await login(t, app, user);
    await revoke(t, app, a.refresh_token);
    expect((await introspect(t, resourceServer, a.access_token)).text).toBe(INACTIVE_BODY);

    const victim = await createUser(t);
    const b = await login(t, app, victim);
    await t.app.get(UsersService).disable(victim.user.id, 'test');
    expect((await introspect(t, resourceServer, b.access_token)).text).toBe(INACTIVE_BODY);

    const c = await login(t, app, user);
    t.clock.advance(299);
    expect(await isActive(t, resourceServer, c.access_token)).toBe(true);
    t.clock.advance(1);
    expect((await introspect(t, resourceServer, c.access_token)).text).toBe(INACTIVE_BODY);
  });

  it('once read, are answered from memory, and still die at once with themselves, their family and their user', async () => {
    const victim = await createUser(t);
    const [own, family, disabled, sibling] = [await login(t, app, user), await login(t, app, user), await login(t, app, victim), await login(t, app, user)];
    const live = [own, family, disabled, sibling].map((session) => session.access_token);
    const lookups = async () => {
      const samples = await scrape(t);
      const count = (result: string) => metricValue(samples, 'tessera_introspection_cache_lookups_total', { cache: 'opaque_token', result });
      return { hit: count('hit'), miss: count('miss') };
    };
    const before = await lookups();
    for (const accessToken of [...live, ...live]) expect(await isActive(t, resourceServer, accessToken)).toBe(true);
    const after = await lookups();
    // Each row was read once; the second pass asked no database for a row.
    expect({ hit: after.hit - before.hit, miss: after.miss - before.miss }).toEqual({ hit: live.length, miss: live.length });

    expect((await revoke(t, app, own.access_token)).status).toBe(200);
    expect((await revoke(t, app, family.refresh_token)).status).toBe(200);
    await t.app.get(UsersService).disable(victim.user.id, 'test');
    for (const dead of [own, family, disabled]) expect((await introspect(t, resourceServer, dead.access_token)).text).toBe(INACTIVE_BODY);
    expect(await isActive(t, resourceServer, sibling.access_token)).toBe(true);
  });

  it("are another client's: a client without the permission sees them inactive, and may not revoke them", async () => {
    const session = await login(t, app, user);
    expect((await introspect(t, jwtApp, session.access_token)).text).toBe(INACTIVE_BODY);
    const refused = await revoke(t, jwtApp, session.access_token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_request');
    expect(await isActive(t, resourceServer, session.access_token)).toBe(true);
    expect((await introspect(t, app, session.access_token)).body.active).toBe(true);
  });

  it('are found whatever the hint, and a refresh token is never mistaken for one', async () => {
    const session = await login(t, app, user);
    for (const hint of ['refresh_token', 'access_token', 'other']) {
      expect((await introspect(t, resourceServer, session.access_token, { token_type_hint: hint })).body.token_type).toBe('Bearer');
      const refresh = (await introspect(t, resourceServer, session.refresh_token, { token_type_hint: hint })).body;
      expect(refresh.active).toBe(true);
      expect(refresh).not.toHaveProperty('token_type');
    }
  });
});
