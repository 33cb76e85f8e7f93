import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { introspect } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/**
 * A rolling deployment: a newer process migrates the schema (adding columns) while this
 * one keeps serving with statements already prepared on its connections. Postgres
 * refuses to run a prepared statement whose result columns changed, so no statement may
 * select `*`: each flow below runs once before the change, to prepare its statements,
 * and must still work after it.
 */
describe('a migration adding columns while the server runs', () => {
  let t: TestApp;
  let app: TestClient;
  let opaque: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    // No grace window: presenting a rotated token is reuse at once.
    t = await startTestApp({ REFRESH_REUSE_GRACE: '0' });
    app = await createClient(t);
    opaque = await createClient(t, { accessTokenFormat: 'opaque' });
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => { await t.close(); });

  async function everyFlow(): Promise<void> {
    const session = await login(t, app, user);
    const refreshed = await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token });
    expect(refreshed.status).toBe(200);
    const next = String(refreshed.body.refresh_token);
    expect((await introspect(t, resourceServer, next)).body).toMatchObject({ active: true, sid: expect.any(String) });
    const opaqueSession = await login(t, opaque, user);
    expect((await introspect(t, resourceServer, opaqueSession.access_token)).body).toMatchObject({ active: true });
    // Reuse of the rotated token: the family is revoked (the REVOKE statement's rows).
    expect((await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token })).status).toBe(400);
    expect((await introspect(t, resourceServer, next)).body).toEqual({ active: false });
  }

  it('leaves every token flow working', async () => {
    await everyFlow();
    for (const table of ['families', 'refresh_tokens', 'users', 'clients', 'opaque_access_tokens', 'revocation_events']) {
      await t.db.dataSource.query(`ALTER TABLE ${table} ADD COLUMN added_by_a_newer_release text`);
    }
    await everyFlow();
  });
});
