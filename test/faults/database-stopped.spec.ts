import { api, createAdmin, type TestAdmin } from '../factories/admin.js';
import { BrowserAgent } from '../factories/browser.js';
import { createClient, createUser, type HttpResult, login, token, type TestClient, type TestUser } from '../factories/index.js';
import { INACTIVE_BODY, introspect, isActive, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { eventually, expectUnavailable } from '../setup/faults.js';
import { clusterDatabase, describeWithCluster, PgCluster } from '../setup/pg-cluster.js';
import type { TestDatabase } from '../setup/database.js';

const STALENESS_MS = 1_000;
const ORIGIN = 'http://app.example.test';

/**
 * CONTRACT "Endpoints": with the database stopped (pg_ctl stop, not a proxy), every
 * endpoint that needs it answers 503 temporarily_unavailable with Retry-After, never a
 * 500 or a guess; started again, Tessera recovers by itself, without a restart.
 */
describeWithCluster('the database stops mid-run and starts again', () => {
  let cluster: PgCluster;
  let db: TestDatabase;
  let t: TestApp;
  let app: TestClient;
  let spa: TestClient;
  let opaqueApp: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;
  let admin: TestAdmin;

  beforeAll(async () => {
    cluster = await PgCluster.start();
    db = await clusterDatabase(cluster);
    t = await startTestApp({ REVOCATION_POLL_INTERVAL_MS: '200', REVOCATION_MAX_STALENESS_MS: String(STALENESS_MS) }, { db });
    app = await createClient(t);
    opaqueApp = await createClient(t, { accessTokenFormat: 'opaque' });
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
    admin = await createAdmin(t, app);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await cluster?.destroy();
  });

  it.each(['fast', 'immediate'] as const)('stopped with -m %s: 503 everywhere while down, then it recovers by itself', async (mode) => {
    const session = await login(t, app, user);
    const browser = new BrowserAgent(t, ORIGIN);
    await browser.fetchCsrf();
    const opaque = (await token(t, opaqueApp, { grant_type: 'client_credentials', scope: 'read' })).body.access_token as string;
    expect(await isActive(t, resourceServer, session.access_token)).toBe(true);
    expect(await isActive(t, resourceServer, opaque)).toBe(true);

    cluster.stopServer(mode);
    // Within the staleness bound a live JWT, or an opaque token whose row was read, may be
    // answered from the in-process view (by design); a refresh token is only ever checked
    // in the database.
    for (const accessToken of [session.access_token, opaque]) {
      const early = await introspect(t, resourceServer, accessToken);
      expect([200, 503]).toContain(early.status);
      if (early.status === 200) expect(early.body.active).toBe(true);
      else expectUnavailable(early);
    }
    expectUnavailable(await introspect(t, resourceServer, session.refresh_token));

    // Past the bound, nothing is answered from memory.
    t.clock.advance(STALENESS_MS / 1000 + 0.001);
    const down: Array<[string, () => Promise<HttpResult>]> = [
      ['introspect an access token', () => introspect(t, resourceServer, session.access_token)],
      ['introspect an opaque access token', () => introspect(t, resourceServer, opaque)],
      ['introspect a refresh token', () => introspect(t, resourceServer, session.refresh_token)],
      ['password grant', () => token(t, app, { grant_type: 'password', username: user.username, password: user.password })],
      ['refresh grant', () => token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token })],
      ['client_credentials grant', () => token(t, app, { grant_type: 'client_credentials', scope: 'read' })],
      ['revoke', () => revoke(t, app, session.refresh_token)],
      ['browser login', () => browser.request('POST', '/auth/login', { form: { username: user.username, password: user.password, client_id: spa.id } })],
      ['admin read', () => api(t, 'GET', `/admin/users/${user.user.id}`, { token: admin.token })],
      ['admin write', () => api(t, 'PATCH', `/admin/users/${user.user.id}`, { token: admin.token, body: { disabled: true } })],
      ['readyz', () => api(t, 'GET', '/readyz')],
    ];
    for (const [what, call] of down) {
      const result = await call();
      expect({ what, status: result.status }).toEqual({ what, status: 503 });
      if (what === 'readyz') expect(result.headers.get('retry-after')).toBe('1');
      else expectUnavailable(result);
    }

    cluster.startServer();
    await eventually('readiness', async () => ((await api(t, 'GET', '/readyz')).status === 200 ? true : undefined));
    // No restart: the session still refreshes (nothing was consumed while down) and is still live.
    const refreshed = await eventually('a refresh', async () => {
      const result = await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token });
      return result.status === 503 ? undefined : result;
    });
    expect(refreshed.status).toBe(200);
    expect(await isActive(t, resourceServer, String(refreshed.body.access_token))).toBe(true);
    expect((await api(t, 'GET', `/admin/users/${user.user.id}`, { token: admin.token })).body.disabled).toBe(false);
    expect((await browser.request('POST', '/auth/login', { form: { username: user.username, password: user.password, client_id: spa.id } })).status).toBe(200);

    // A revocation made after recovery is seen at once.
    expect((await revoke(t, app, String(refreshed.body.refresh_token))).status).toBe(200);
    expect((await introspect(t, resourceServer, String(refreshed.body.access_token))).text).toBe(INACTIVE_BODY);
    expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
    expect((await token(t, app, { grant_type: 'refresh_token', refresh_token: String(refreshed.body.refresh_token) })).status).toBe(400);
  });

  // Issue 19: the JWKS read the database and failed with it, while the process held the keys.
  it('serves the last known JWKS, with its cache headers, while the database is stopped', async () => {
    const before = await api(t, 'GET', '/oauth/jwks');
    expect(before.status).toBe(200);
    expect((before.body.keys as unknown[]).length).toBeGreaterThan(0);

    cluster.stopServer('fast');
    try {
      t.clock.advance(3600); // far past any in-process cache of the set
      const during = await api(t, 'GET', '/oauth/jwks');
      expect({ status: during.status, body: during.body }).toEqual({ status: 200, body: before.body });
      expect(during.headers.get('cache-control')).toBe(before.headers.get('cache-control'));
      expect(during.headers.get('content-type')).toBe(before.headers.get('content-type'));
      const wellKnown = await api(t, 'GET', '/.well-known/jwks.json');
      expect({ status: wellKnown.status, body: wellKnown.body }).toEqual({ status: 200, body: before.body });
      // Not from a cache in front of the database: what needs it is refused meanwhile.
      expectUnavailable(await token(t, app, { grant_type: 'password', username: user.username, password: user.password }));
    } finally {
      cluster.startServer();
    }
    await eventually('readiness', async () => ((await api(t, 'GET', '/readyz')).status === 200 ? true : undefined));
    expect((await api(t, 'GET', '/oauth/jwks')).body).toEqual(before.body);
  });
});
